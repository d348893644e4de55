//! WeChat Pay API v3 (微信支付), as the service uses it: JSAPI orders, order query and close,
//! refunds and their query. Like WeChat it refuses requests whose `Authorization` is not the
//! merchant's signature (401 `SIGN_ERROR`), signs every reply with its platform key (public-key
//! mode, `PUB_KEY_ID_…`), and keeps WeChat's rules on repeated and conflicting requests. Tests
//! pay orders and settle refunds through Rust methods, which return the notification WeChat
//! would post.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::offset;
use wechat::pay::{
    ApiV3Key, Authorization, MerchantKey, Notification, RefundStatus, SCHEME, Signed, TradeState,
    VerifyError, VerifyingKey, message, nonce,
};

use super::{Log, serve};

/// One call as WeChat Pay saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayRequest {
    pub method: String,
    pub path: String,
    /// Whether the `Authorization` header was the merchant's valid signature.
    pub authorized: bool,
}

/// A notification as WeChat would post it to `notify_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNotification {
    /// `Content-Type` and the five `Wechatpay-*` headers.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl SignedNotification {
    /// A header by name, ignoring case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The signed parts, as a receiver reads them from the request.
    pub fn signed(&self) -> Result<Signed<'_>, VerifyError> {
        Signed::from_headers(|name| self.header(name), self.body.as_bytes())
    }

    /// POSTs the notification to `url` as WeChat does.
    pub async fn deliver(
        &self,
        http: &reqwest::Client,
        url: &str,
    ) -> reqwest::Result<reqwest::Response> {
        self.headers
            .iter()
            .fold(http.post(url), |request, (name, value)| {
                request.header(name, value)
            })
            .body(self.body.clone())
            .send()
            .await
    }
}

pub struct WeChatPayPeer {
    pub base_url: String,
    /// 商户号.
    pub mchid: String,
    /// The mini program the orders are paid in.
    pub appid: String,
    /// The platform public key's id: the `Wechatpay-Serial` of every reply.
    pub public_key_id: String,
    merchant_key_pem: String,
    apiv3_key: String,
    peer: Arc<Peer>,
}

impl WeChatPayPeer {
    /// Starts a WeChat Pay for merchant `mchid` with fresh keys: the merchant's API key (which
    /// [`Self::vars`] hands to the service), the platform's key and an APIv3 key.
    pub async fn start(mchid: &str, appid: &str) -> Self {
        let merchant = MerchantKey::generate(&format!("5157F09E{:032X}", ulid::Ulid::new().0));
        let public_key_id = format!("PUB_KEY_ID_0114{}", digits(24));
        let apiv3_key = nonce();
        let peer = Arc::new(Peer {
            mchid: mchid.to_owned(),
            appid: appid.to_owned(),
            merchant_serial: merchant.serial().to_owned(),
            merchant: merchant.verifying_key(),
            platform: MerchantKey::generate(&public_key_id),
            apiv3: ApiV3Key::new(apiv3_key.as_bytes()).expect("32 bytes"),
            books: Mutex::default(),
            log: Log::default(),
        });
        let router = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&peer));
        Self {
            base_url: serve(router).await,
            mchid: mchid.to_owned(),
            appid: appid.to_owned(),
            public_key_id,
            merchant_key_pem: merchant.to_pkcs8_pem(),
            apiv3_key,
            peer,
        }
    }

    /// The variables `wechat::pay::PayConfig::from_vars` reads, pointing at this peer.
    pub fn vars(&self, notify_url: &str) -> Vec<(String, String)> {
        [
            ("WECHATPAY_BASE_URL", self.base_url.clone()),
            ("WECHATPAY_MCHID", self.mchid.clone()),
            ("WECHAT_APPID", self.appid.clone()),
            ("WECHATPAY_NOTIFY_URL", notify_url.to_owned()),
            (
                "WECHATPAY_MERCHANT_SERIAL",
                self.peer.merchant_serial.clone(),
            ),
            ("WECHATPAY_MERCHANT_KEY", self.merchant_key_pem.clone()),
            ("WECHATPAY_APIV3_KEY", self.apiv3_key.clone()),
            ("WECHATPAY_PUBLIC_KEY_ID", self.public_key_id.clone()),
            (
                "WECHATPAY_PUBLIC_KEY",
                self.peer.platform.verifying_key().to_pem(),
            ),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// The service's configuration for this peer: [`WeChatPayPeer::vars`], read as a
    /// function reads its environment.
    pub fn config(&self, notify_url: &str) -> wechat::pay::PayConfig {
        let vars = self.vars(notify_url);
        wechat::pay::PayConfig::from_vars(|name| {
            vars.iter()
                .find(|(var, _)| var == name)
                .map(|(_, value)| value.clone())
        })
        .expect("the peer's own variables make a configuration")
    }

    /// The payer pays an unpaid order: it becomes `SUCCESS` with a new `transaction_id`.
    /// Returns the `TRANSACTION.SUCCESS` notification, or `None` if there is no such unpaid
    /// order.
    pub fn pay(&self, out_trade_no: &str) -> Option<SignedNotification> {
        let plaintext = {
            let mut books = self.peer.books();
            let order = books.orders.get_mut(out_trade_no)?;
            if order.state != TradeState::NotPay {
                return None;
            }
            order.state = TradeState::Success;
            order.payment = Some(Payment {
                transaction_id: format!("42000{}", digits(23)),
                success_time: beijing_now(),
            });
            self.peer.transaction_json(out_trade_no, order)
        };
        Some(self.mint("TRANSACTION.SUCCESS", &plaintext))
    }

    /// WeChat finishes a refund with `status` (a successful one turns the order's state to
    /// `REFUND`). Returns the `REFUND.SUCCESS`, `REFUND.CLOSED` or `REFUND.ABNORMAL`
    /// notification; `None` for an unknown refund or a status WeChat does not notify.
    pub fn settle_refund(
        &self,
        out_refund_no: &str,
        status: RefundStatus,
    ) -> Option<SignedNotification> {
        let event_type = match status {
            RefundStatus::Success => "REFUND.SUCCESS",
            RefundStatus::Closed => "REFUND.CLOSED",
            RefundStatus::Abnormal => "REFUND.ABNORMAL",
            RefundStatus::Processing | RefundStatus::Other(_) => "",
        };
        let plaintext = {
            let mut books = self.peer.books();
            let refund = books.refunds.get_mut(out_refund_no)?;
            if status == RefundStatus::Success {
                refund.success_time = Some(beijing_now());
            }
            refund.status = status;
            let plaintext = self.peer.refund_notice_json(refund);
            if refund.status == RefundStatus::Success {
                let out_trade_no = refund.out_trade_no.clone();
                if let Some(order) = books.orders.get_mut(&out_trade_no) {
                    order.state = TradeState::Refund;
                }
            }
            plaintext
        };
        (!event_type.is_empty()).then(|| self.mint(event_type, &plaintext))
    }

    /// A notification of `event_type` around `resource_plaintext`, signed now.
    pub fn mint(&self, event_type: &str, resource_plaintext: &Value) -> SignedNotification {
        self.mint_at(
            event_type,
            resource_plaintext,
            OffsetDateTime::now_utc().unix_timestamp(),
            &nonce(),
        )
    }

    /// A notification signed at `timestamp` with `nonce`: for stale and replayed ones.
    pub fn mint_at(
        &self,
        event_type: &str,
        resource_plaintext: &Value,
        timestamp: i64,
        nonce: &str,
    ) -> SignedNotification {
        self.peer
            .mint_at(event_type, resource_plaintext, timestamp, nonce)
    }

    pub fn requests(&self) -> Vec<PayRequest> {
        self.peer.log.entries()
    }
}

/// What an order was placed with; placing it again must repeat these exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Terms {
    appid: String,
    description: String,
    total: u64,
    openid: String,
    notify_url: String,
    time_expire: Option<String>,
}

struct Order {
    terms: Terms,
    prepay_id: String,
    state: TradeState,
    payment: Option<Payment>,
}

struct Payment {
    transaction_id: String,
    success_time: String,
}

struct RefundRecord {
    out_trade_no: String,
    out_refund_no: String,
    refund_id: String,
    transaction_id: String,
    refund: u64,
    total: u64,
    status: RefundStatus,
    create_time: String,
    success_time: Option<String>,
}

#[derive(Default)]
struct Books {
    orders: HashMap<String, Order>,
    refunds: HashMap<String, RefundRecord>,
}

struct Peer {
    mchid: String,
    appid: String,
    merchant_serial: String,
    merchant: VerifyingKey,
    /// The platform's private key, under its public key id.
    platform: MerchantKey,
    apiv3: ApiV3Key,
    books: Mutex<Books>,
    log: Log<PayRequest>,
}

/// A status and a JSON body (none for 204).
type Reply = (StatusCode, Option<Value>);

fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Reply {
    (
        status,
        Some(json!({"code": code, "message": message.into()})),
    )
}

fn param_error(message: impl Into<String>) -> Reply {
    refuse(StatusCode::BAD_REQUEST, "PARAM_ERROR", message)
}

async fn handle(
    State(peer): State<Arc<Peer>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path_and_query = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let authorized = peer.authorize(&method, path_and_query, &headers, &body);
    peer.log.push(PayRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        authorized: authorized.is_ok(),
    });
    let reply = match authorized {
        Err(reason) => refuse(StatusCode::UNAUTHORIZED, "SIGN_ERROR", reason),
        Ok(()) => peer
            .route(&method, uri.path(), uri.query().unwrap_or_default(), &body)
            .unwrap_or_else(|refusal| refusal),
    };
    peer.respond(reply)
}

impl Peer {
    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().expect("books lock")
    }

    /// WeChat's check of a request: its scheme, the merchant's mchid and certificate serial,
    /// a timestamp within 300 s, and the signature over the request as received.
    fn authorize(
        &self,
        method: &Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        let header = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or("Authorization header is missing")?;
        let authorization = Authorization::parse(header)
            .ok_or_else(|| format!("Authorization is not {SCHEME} with all five fields"))?;
        if authorization.mchid != self.mchid {
            return Err(format!(
                "mchid {} is not this merchant",
                authorization.mchid
            ));
        }
        if authorization.serial_no != self.merchant_serial {
            return Err(format!(
                "serial_no {} is not the merchant's certificate",
                authorization.serial_no
            ));
        }
        authorization
            .verify(
                &self.merchant,
                method.as_str(),
                path_and_query,
                body,
                OffsetDateTime::now_utc(),
            )
            .map_err(|e| format!("signature check failed: {e}"))
    }

    fn route(&self, method: &Method, path: &str, query: &str, body: &[u8]) -> Result<Reply, Reply> {
        let segments: Vec<String> = path.split('/').skip(1).map(percent_decode).collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let mchid = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("mchid="))
            .unwrap_or_default();
        match (method.as_str(), segments.as_slice()) {
            ("POST", ["v3", "pay", "transactions", "jsapi"]) => {
                self.create_order(&json_body(body)?)
            }
            ("GET", ["v3", "pay", "transactions", "out-trade-no", out_trade_no]) => {
                self.query_order(out_trade_no, mchid)
            }
            (
                "POST",
                [
                    "v3",
                    "pay",
                    "transactions",
                    "out-trade-no",
                    out_trade_no,
                    "close",
                ],
            ) => self.close_order(out_trade_no, &json_body(body)?),
            ("POST", ["v3", "refund", "domestic", "refunds"]) => self.refund(&json_body(body)?),
            ("GET", ["v3", "refund", "domestic", "refunds", out_refund_no]) => {
                self.query_refund(out_refund_no)
            }
            _ => Err(refuse(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("{method} {path} is not an API this peer serves"),
            )),
        }
    }

    /// `POST /v3/pay/transactions/jsapi`.
    fn create_order(&self, body: &Value) -> Result<Reply, Reply> {
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
    fn query_order(&self, out_trade_no: &str, mchid: &str) -> Result<Reply, Reply> {
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
    fn close_order(&self, out_trade_no: &str, body: &Value) -> Result<Reply, Reply> {
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

    /// `POST /v3/refund/domestic/refunds`.
    fn refund(&self, body: &Value) -> Result<Reply, Reply> {
        let out_trade_no = required(body, "/out_trade_no")?;
        let out_refund_no = required(body, "/out_refund_no")?;
        let fen = |pointer: &str| {
            body.pointer(pointer)
                .and_then(Value::as_u64)
                .filter(|fen| *fen > 0)
                .ok_or_else(|| param_error(format!("{pointer} must be a positive integer")))
        };
        let (refund, total) = (fen("/amount/refund")?, fen("/amount/total")?);
        if body.pointer("/amount/currency") != Some(&json!("CNY")) {
            return Err(param_error("amount.currency must be CNY"));
        }

        let mut books = self.books();
        if let Some(existing) = books.refunds.get(out_refund_no) {
            // Retrying a refund is safe; reusing its number for another is not.
            return if existing.out_trade_no == out_trade_no && existing.refund == refund {
                Ok((StatusCode::OK, Some(refund_json(existing))))
            } else {
                Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "INVALID_REQUEST",
                    "商户退款单号已用于另一笔退款",
                ))
            };
        }
        let order = books
            .orders
            .get(out_trade_no)
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "订单不存在"))?;
        let Some(payment) = order
            .payment
            .as_ref()
            .filter(|_| matches!(order.state, TradeState::Success | TradeState::Refund))
        else {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "订单未支付，不能退款",
            ));
        };
        if total != order.terms.total {
            return Err(param_error("amount.total is not the order's total"));
        }
        let refunded: u64 = books
            .refunds
            .values()
            .filter(|r| r.out_trade_no == out_trade_no)
            .filter(|r| matches!(r.status, RefundStatus::Success | RefundStatus::Processing))
            .map(|r| r.refund)
            .sum();
        if refunded + refund > total {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "申请退款金额超过订单可退金额",
            ));
        }
        let record = RefundRecord {
            out_trade_no: out_trade_no.to_owned(),
            out_refund_no: out_refund_no.to_owned(),
            refund_id: format!("50{}", digits(27)),
            transaction_id: payment.transaction_id.clone(),
            refund,
            total,
            status: RefundStatus::Processing,
            create_time: beijing_now(),
            success_time: None,
        };
        let reply = refund_json(&record);
        books.refunds.insert(out_refund_no.to_owned(), record);
        Ok((StatusCode::OK, Some(reply)))
    }

    /// `GET /v3/refund/domestic/refunds/{out_refund_no}`.
    fn query_refund(&self, out_refund_no: &str) -> Result<Reply, Reply> {
        let books = self.books();
        let refund = books
            .refunds
            .get(out_refund_no)
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "退款单不存在"))?;
        Ok((StatusCode::OK, Some(refund_json(refund))))
    }

    /// An order as the query API and `TRANSACTION.*` notifications give it.
    fn transaction_json(&self, out_trade_no: &str, order: &Order) -> Value {
        let state_desc = match order.state {
            TradeState::Success => "支付成功",
            TradeState::Refund => "转入退款",
            TradeState::Closed => "订单已关闭",
            _ => "订单未支付",
        };
        let mut transaction = json!({
            "appid": order.terms.appid,
            "mchid": self.mchid,
            "out_trade_no": out_trade_no,
            "trade_state": order.state.as_str(),
            "trade_state_desc": state_desc,
            "attach": "",
            "payer": {"openid": order.terms.openid},
            "amount": {"total": order.terms.total, "currency": "CNY", "payer_currency": "CNY"},
        });
        if let Some(payment) = &order.payment {
            transaction["transaction_id"] = json!(payment.transaction_id);
            transaction["trade_type"] = json!("JSAPI");
            transaction["bank_type"] = json!("OTHERS");
            transaction["success_time"] = json!(payment.success_time);
            transaction["amount"]["payer_total"] = json!(order.terms.total);
        }
        transaction
    }

    /// A refund as `REFUND.*` notifications give it.
    fn refund_notice_json(&self, refund: &RefundRecord) -> Value {
        let mut notice = json!({
            "mchid": self.mchid,
            "out_trade_no": refund.out_trade_no,
            "transaction_id": refund.transaction_id,
            "out_refund_no": refund.out_refund_no,
            "refund_id": refund.refund_id,
            "refund_status": refund.status.as_str(),
            "user_received_account": "支付用户零钱",
            "amount": refund_amount(refund),
        });
        if let Some(success_time) = &refund.success_time {
            notice["success_time"] = json!(success_time);
        }
        notice
    }

    fn mint_at(
        &self,
        event_type: &str,
        resource_plaintext: &Value,
        timestamp: i64,
        nonce: &str,
    ) -> SignedNotification {
        mint_notification(
            &self.platform,
            &self.apiv3,
            event_type,
            resource_plaintext,
            timestamp,
            nonce,
        )
    }

    fn signature_headers(&self, body: &str, timestamp: i64, nonce: &str) -> Vec<(String, String)> {
        signature_headers(&self.platform, body, timestamp, nonce)
    }

    /// Every reply is signed, refusals included, as WeChat's are.
    fn respond(&self, (status, reply): Reply) -> Response {
        let body = reply.map(|reply| reply.to_string()).unwrap_or_default();
        let mut headers =
            self.signature_headers(&body, OffsetDateTime::now_utc().unix_timestamp(), &nonce());
        headers.push(("Request-ID".into(), ulid::Ulid::new().to_string()));
        if !body.is_empty() {
            headers.push((CONTENT_TYPE.to_string(), "application/json".into()));
        }
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        for (name, value) in headers {
            response.headers_mut().insert(
                HeaderName::try_from(name).expect("a header name"),
                HeaderValue::try_from(value).expect("an ASCII header value"),
            );
        }
        response
    }
}

/// A refund as the refund APIs give it.
fn refund_json(refund: &RefundRecord) -> Value {
    let mut amount = refund_amount(refund);
    amount["settlement_refund"] = json!(refund.refund);
    amount["settlement_total"] = json!(refund.total);
    amount["discount_refund"] = json!(0);
    amount["currency"] = json!("CNY");
    let mut reply = json!({
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": refund.transaction_id,
        "out_trade_no": refund.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": refund.create_time,
        "status": refund.status.as_str(),
        "funds_account": "AVAILABLE",
        "amount": amount,
    });
    if let Some(success_time) = &refund.success_time {
        reply["success_time"] = json!(success_time);
    }
    reply
}

fn refund_amount(refund: &RefundRecord) -> Value {
    json!({
        "total": refund.total,
        "refund": refund.refund,
        "payer_total": refund.total,
        "payer_refund": refund.refund,
    })
}

fn prepay(prepay_id: &str) -> Reply {
    (StatusCode::OK, Some(json!({"prepay_id": prepay_id})))
}

fn order_not_exist() -> Reply {
    refuse(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在")
}

fn json_body(body: &[u8]) -> Result<Value, Reply> {
    serde_json::from_slice(body).map_err(|_| param_error("the body is not JSON"))
}

/// A non-empty string at `pointer`, or WeChat's `PARAM_ERROR` naming it.
fn required<'a>(body: &'a Value, pointer: &str) -> Result<&'a str, Reply> {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| param_error(format!("{} is required", &pointer[1..])))
}

/// Now in Beijing time, as WeChat writes times: `2026-06-20T10:14:58+08:00`.
fn beijing_now() -> String {
    OffsetDateTime::now_utc()
        .to_offset(offset!(+8))
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond")
        .format(&Rfc3339)
        .expect("an RFC 3339 time")
}

/// `count` (≤ 38) decimal digits, random enough that ids from different peers differ.
fn digits(count: usize) -> String {
    let random = format!("{:038}", ulid::Ulid::new().0 % 10u128.pow(38));
    random[38 - count..].to_owned()
}

/// A path segment as sent, `%XX` escapes decoded (the client escapes order numbers).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| segment.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// A notification as WeChat Pay sends it: `resource_plaintext` encrypted with `apiv3`, the
/// envelope signed by `platform` at `timestamp` with `nonce`. The peer mints with its own keys;
/// tests mint with the fixtures' throw-away keys.
pub fn mint_notification(
    platform: &MerchantKey,
    apiv3: &ApiV3Key,
    event_type: &str,
    resource_plaintext: &Value,
    timestamp: i64,
    nonce: &str,
) -> SignedNotification {
    // `TRANSACTION.SUCCESS` carries a `transaction`, `REFUND.*` a `refund`; WeChat uses
    // that as the associated data too.
    let original_type = event_type
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut resource = apiv3.encrypt(
        &wechat::pay::nonce()[..12],
        &original_type,
        resource_plaintext.to_string().as_bytes(),
    );
    resource.original_type = original_type;
    let summary = match event_type {
        "TRANSACTION.SUCCESS" => "支付成功",
        "REFUND.SUCCESS" => "退款成功",
        "REFUND.CLOSED" => "退款关闭",
        "REFUND.ABNORMAL" => "退款异常",
        _ => "",
    };
    let notification = Notification {
        id: ulid::Ulid::new().to_string(),
        create_time: beijing_now(),
        event_type: event_type.to_owned(),
        resource_type: "encrypt-resource".into(),
        summary: summary.into(),
        resource,
    };
    let body = serde_json::to_string(&notification).expect("a notification serializes");
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    headers.extend(signature_headers(platform, &body, timestamp, nonce));
    SignedNotification { headers, body }
}

/// The `Wechatpay-*` headers WeChat puts on replies and notifications.
fn signature_headers(
    platform: &MerchantKey,
    body: &str,
    timestamp: i64,
    nonce: &str,
) -> Vec<(String, String)> {
    let timestamp = timestamp.to_string();
    let signature = platform.sign(&message(&[
        timestamp.as_bytes(),
        nonce.as_bytes(),
        body.as_bytes(),
    ]));
    [
        ("Wechatpay-Serial", platform.serial().to_owned()),
        ("Wechatpay-Timestamp", timestamp),
        ("Wechatpay-Nonce", nonce.to_owned()),
        ("Wechatpay-Signature", signature),
        ("Wechatpay-Signature-Type", SCHEME.to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}
