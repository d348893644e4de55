//! WeChat Pay orders and refunds as the service keeps them (DESIGN §6). A case is paid once:
//! it has at most one open order at a time, and a new order only after the last one closed or
//! was refunded. What WeChat Pay says that does not fit is kept as a [`PaymentAnomaly`] for an
//! operator rather than acted on.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ulid::Ulid;

use crate::event::Actor;
use crate::ids::CollectionId;

/// How long a student has to pay an order before it is closed (WeChat's `time_expire`).
pub const ORDER_LIFETIME: time::Duration = time::Duration::minutes(30);

/// A WeChat Pay JSAPI order (`out_trade_no`) for one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentOrder {
    pub order_no: String,
    pub collection_id: CollectionId,
    /// The openid that pays: the case's owner.
    pub payer: String,
    pub amount_fen: u32,
    /// The part of `amount_fen` that pays for printed photos (0: none).
    #[serde(default)]
    pub print_fen: u32,
    pub description: String,
    pub status: OrderStatus,
    /// WeChat's `prepay_id`, once the order exists there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepay_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl PaymentOrder {
    /// A new order for `amount_fen`, payable until [`ORDER_LIFETIME`] from `now`.
    pub fn new(
        collection_id: CollectionId,
        payer: String,
        amount_fen: u32,
        description: String,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            // 28 characters of [0-9A-Z]: within WeChat's 6–32, unique without a counter.
            order_no: format!("GP{}", Ulid::new()),
            collection_id,
            payer,
            amount_fen,
            print_fen: 0,
            description,
            status: OrderStatus::Created,
            prepay_id: None,
            transaction_id: None,
            created_at: now,
            expires_at: now + ORDER_LIFETIME,
        }
    }

    /// Still payable at `now`, with a margin so a student is never handed an order that
    /// expires while the payment sheet is open.
    pub fn is_payable(&self, now: OffsetDateTime) -> bool {
        self.status == OrderStatus::Created && self.expires_at - now > time::Duration::minutes(5)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, not paid yet.
    Created,
    Paid,
    /// Expired or replaced unpaid, and closed at WeChat Pay.
    Closed,
    Refunded,
}

/// A refund of one order (`out_refund_no`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRecord {
    pub refund_no: String,
    pub order_no: String,
    pub collection_id: CollectionId,
    pub amount_fen: u32,
    pub status: RefundStatus,
    pub requested_by: Actor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// WeChat's `refund_id`, once it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub settled_at: Option<OffsetDateTime>,
}

impl RefundRecord {
    pub fn new_refund_no() -> String {
        format!("RF{}", Ulid::new())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Asked of WeChat Pay (or about to be); settles by notification or reconciliation.
    Requested,
    Succeeded,
    Closed,
    /// WeChat Pay could not return the money; an operator must settle it by hand.
    Abnormal,
    /// WeChat Pay refused the request outright.
    Refused,
}

impl RefundStatus {
    pub fn is_settled(self) -> bool {
        self != Self::Requested
    }
}

/// Something WeChat Pay reported that the service will not act on by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentAnomaly {
    pub id: Ulid,
    pub kind: AnomalyKind,
    /// The order (or refund) number WeChat Pay named.
    pub reference: String,
    /// What did not match, for the operator. Never secrets or personal data.
    pub detail: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// A payment or refund for an order or refund number we never issued.
    UnknownOrder,
    /// The amount, currency, appid or mchid differs from the stored order.
    Mismatch,
    /// A second payment for a case that is already paid (an old order paid at the last
    /// moment): the money must go back by hand or by refund.
    DoublePayment,
    /// A refund succeeded for a case that can no longer be refunded (approved meanwhile).
    LateRefund,
    /// WeChat Pay could not complete a refund.
    RefundAbnormal,
}
