//! A JSAPI order's state, as the query-order API and `TRANSACTION.*` notifications give it.

use serde::Deserialize;
use time::OffsetDateTime;

use super::wire_enum;

wire_enum! {
    /// 交易状态.
    TradeState {
        Success = "SUCCESS",
        /// Paid, then (partly) refunded.
        Refund = "REFUND",
        NotPay = "NOTPAY",
        Closed = "CLOSED",
        /// Only for 付款码 payments.
        Revoked = "REVOKED",
        UserPaying = "USERPAYING",
        PayError = "PAYERROR",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Transaction {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    /// WeChat's 支付订单号; absent until paid.
    #[serde(default)]
    pub transaction_id: Option<String>,
    pub trade_state: TradeState,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub success_time: Option<OffsetDateTime>,
    #[serde(default)]
    pub amount: Option<TransactionAmount>,
    #[serde(default)]
    pub payer: Option<Payer>,
}

/// Amounts in fen (分).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TransactionAmount {
    pub total: u32,
    /// What the user paid, after coupons; absent until paid.
    #[serde(default)]
    pub payer_total: Option<u32>,
    /// `CNY`; unpaid orders may omit it.
    #[serde(default)]
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Payer {
    /// Empty on unpaid orders, where WeChat sends `"payer": {}`.
    #[serde(default)]
    pub openid: String,
}
