//! What the peer remembers: its merchant and keys, the orders and refunds, the requests.

use std::collections::HashMap;
use std::sync::Mutex;

use wechat::pay::{ApiV3Key, MerchantKey, RefundStatus, TradeState, VerifyingKey};

use crate::peers::Log;

/// One call as WeChat Pay saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayRequest {
    pub method: String,
    pub path: String,
    /// Whether the `Authorization` header was the merchant's valid signature.
    pub authorized: bool,
}

/// What an order was placed with; placing it again must repeat these exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Terms {
    pub(super) appid: String,
    pub(super) description: String,
    pub(super) total: u64,
    pub(super) openid: String,
    pub(super) notify_url: String,
    pub(super) time_expire: Option<String>,
}

pub(super) struct Order {
    pub(super) terms: Terms,
    pub(super) prepay_id: String,
    pub(super) state: TradeState,
    pub(super) payment: Option<Payment>,
}

pub(super) struct Payment {
    pub(super) transaction_id: String,
    pub(super) success_time: String,
}

pub(super) struct RefundRecord {
    pub(super) out_trade_no: String,
    pub(super) out_refund_no: String,
    pub(super) refund_id: String,
    pub(super) transaction_id: String,
    pub(super) refund: u64,
    pub(super) total: u64,
    pub(super) status: RefundStatus,
    pub(super) create_time: String,
    pub(super) success_time: Option<String>,
}

#[derive(Default)]
pub(super) struct Books {
    pub(super) orders: HashMap<String, Order>,
    pub(super) refunds: HashMap<String, RefundRecord>,
}

pub(super) struct Peer {
    pub(super) mchid: String,
    pub(super) appid: String,
    pub(super) merchant_serial: String,
    pub(super) merchant: VerifyingKey,
    /// The platform's private key, under its public key id.
    pub(super) platform: MerchantKey,
    pub(super) apiv3: ApiV3Key,
    pub(super) books: Mutex<Books>,
    pub(super) log: Log<PayRequest>,
}

impl Peer {
    pub(super) fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().expect("books lock")
    }
}
