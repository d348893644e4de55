//! Orders and refunds as WeChat's JSON gives them, in replies and in notifications.

use serde_json::{Value, json};
use wechat::pay::TradeState;

use super::state::{Order, Peer, RefundRecord};

impl Peer {
    /// An order as the query API and `TRANSACTION.*` notifications give it.
    pub(super) fn transaction_json(&self, out_trade_no: &str, order: &Order) -> Value {
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
    pub(super) fn refund_notice_json(&self, refund: &RefundRecord) -> Value {
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
}

/// A refund as the refund APIs give it.
pub(super) fn refund_json(refund: &RefundRecord) -> Value {
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
