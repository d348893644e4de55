//! A refund's state, as the refund APIs and `REFUND.*` notifications give it.

use serde::Deserialize;
use time::OffsetDateTime;

use super::wire_enum;

wire_enum! {
    /// 退款状态.
    RefundStatus {
        Success = "SUCCESS",
        Closed = "CLOSED",
        Processing = "PROCESSING",
        /// The money could not reach the user (a closed card, say): the merchant must act.
        Abnormal = "ABNORMAL",
    }
}

/// One refund. The API replies and the notifications differ only in what they call the
/// status (`status` and `refund_status`) and in that only notifications carry `mchid`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    #[serde(default)]
    pub mchid: Option<String>,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub out_refund_no: String,
    pub refund_id: String,
    #[serde(alias = "refund_status")]
    pub status: RefundStatus,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub success_time: Option<OffsetDateTime>,
    pub amount: RefundAmount,
}

/// The notification's name for the same record.
pub type RefundNotice = Refund;

/// Amounts in fen (分).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct RefundAmount {
    /// The order's total.
    pub total: u32,
    /// This refund.
    pub refund: u32,
    pub payer_total: u32,
    pub payer_refund: u32,
}
