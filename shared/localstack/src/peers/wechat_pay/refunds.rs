//! The refund APIs: ask for a refund, query it.

use axum::http::StatusCode;
use serde_json::{Value, json};
use wechat::pay::{RefundStatus, TradeState};

use super::ids::{beijing_now, digits};
use super::json::refund_json;
use super::reply::{Reply, param_error, refuse, required};
use super::state::{Peer, RefundRecord};

impl Peer {
    /// `POST /v3/refund/domestic/refunds`.
    pub(super) fn refund(&self, body: &Value) -> Result<Reply, Reply> {
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
    pub(super) fn query_refund(&self, out_refund_no: &str) -> Result<Reply, Reply> {
        let books = self.books();
        let refund = books
            .refunds
            .get(out_refund_no)
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "退款单不存在"))?;
        Ok((StatusCode::OK, Some(refund_json(refund))))
    }
}
