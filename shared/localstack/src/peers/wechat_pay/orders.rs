//! The order APIs: place a JSAPI order, query it, close it.

use axum::http::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use wechat::pay::TradeState;

use super::reply::{Reply, param_error, refuse, required};
use super::state::{Order, Peer, Terms};

impl Peer {
    /// `POST /v3/pay/transactions/jsapi`.
    pub(super) fn create_order(&self, body: &Value) -> Result<Reply, Reply> {
        let field = |pointer: &str| required(body, pointer);
        let (appid, mchid) = (field("/appid")?, field("/mchid")?);
        if appid != self.appid || mchid != self.mchid {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "APPID_MCHID_NOT_MATCH",
                "appid和mch_id不匹配",
            ));
        }
        let out_trade_no = field("/out_trade_no")?;
        if !(6..=32).contains(&out_trade_no.len()) {
            return Err(param_error("out_trade_no must be 6 to 32 characters"));
        }
        let description = field("/description")?;
        if description.len() > 127 {
            return Err(param_error("description is longer than 127 bytes"));
        }
        let total = body
            .pointer("/amount/total")
            .and_then(Value::as_u64)
            .filter(|total| (1..=u64::from(u32::MAX)).contains(total))
            .ok_or_else(|| param_error("amount.total must be a positive integer of fen"))?;
        if body.pointer("/amount/currency").is_some_and(|c| c != "CNY") {
            return Err(param_error("amount.currency must be CNY"));
        }
        let time_expire = body.get("time_expire").and_then(Value::as_str);
        if time_expire.is_some_and(|t| OffsetDateTime::parse(t, &Rfc3339).is_err()) {
            return Err(param_error("time_expire is not an RFC 3339 time"));
        }
        let terms = Terms {
            appid: appid.to_owned(),
            description: description.to_owned(),
            total,
            openid: field("/payer/openid")?.to_owned(),
            notify_url: field("/notify_url")?.to_owned(),
            time_expire: time_expire.map(str::to_owned),
        };

        let mut books = self.books();
        if let Some(order) = books.orders.get(out_trade_no) {
            return match order.state {
                TradeState::Success | TradeState::Refund => {
                    Err(refuse(StatusCode::BAD_REQUEST, "ORDERPAID", "该订单已支付"))
                }
                TradeState::Closed => Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "ORDER_CLOSED",
                    "当前订单已关闭，请重新下单",
                )),
                _ if order.terms == terms => Ok(prepay(&order.prepay_id)),
                _ => Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "INVALID_REQUEST",
                    "201 商户订单号重复",
                )),
            };
        }
        let prepay_id = format!("wx{}", ulid::Ulid::new().to_string().to_lowercase());
        let reply = prepay(&prepay_id);
        books.orders.insert(
            out_trade_no.to_owned(),
            Order {
                terms,
                prepay_id,
                state: TradeState::NotPay,
                payment: None,
            },
        );
        Ok(reply)
    }

    /// `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…`.
    pub(super) fn query_order(&self, out_trade_no: &str, mchid: &str) -> Result<Reply, Reply> {
        if mchid != self.mchid {
            return Err(param_error("mchid is missing or not this merchant"));
        }
        let books = self.books();
        let order = books.orders.get(out_trade_no).ok_or_else(order_not_exist)?;
        Ok((
            StatusCode::OK,
            Some(self.transaction_json(out_trade_no, order)),
        ))
    }

    /// `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close`.
    pub(super) fn close_order(&self, out_trade_no: &str, body: &Value) -> Result<Reply, Reply> {
        if required(body, "/mchid")? != self.mchid {
            return Err(param_error("mchid is not this merchant"));
        }
        let mut books = self.books();
        let order = books
            .orders
            .get_mut(out_trade_no)
            .ok_or_else(order_not_exist)?;
        if matches!(order.state, TradeState::Success | TradeState::Refund) {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "ORDERPAID",
                "订单已支付，不能关闭",
            ));
        }
        order.state = TradeState::Closed;
        Ok((StatusCode::NO_CONTENT, None))
    }
}

fn prepay(prepay_id: &str) -> Reply {
    (StatusCode::OK, Some(json!({"prepay_id": prepay_id})))
}

fn order_not_exist() -> Reply {
    refuse(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在")
}
