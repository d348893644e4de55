//! WeChat Pay API v3 (微信支付 APIv3) as the service uses it: JSAPI orders for the mini
//! program, order queries and closing, refunds, and the signed, encrypted notifications
//! WeChat posts back.
//!
//! Every request is signed with the merchant's API key; every reply and notification is
//! checked against the platform's keys (platform certificates, or the newer 微信支付公钥) and,
//! for notifications, decrypted with the APIv3 key.

mod apiv3;
mod client;
mod config;
mod config_error;
mod notification;
mod platform;
mod refund;
mod signing;
mod transaction;

pub use apiv3::ApiV3Key;
pub use client::{JsapiOrder, MiniProgramPayment, PayClient, PayError, RefundRequest};
pub use config::{DEFAULT_BASE_URL, PayConfig, SECRET_VARS};
pub use config_error::ConfigError;
pub use notification::{EncryptedResource, Event, Notification, NotificationError};
pub use platform::{MAX_CLOCK_SKEW, PlatformKeys, Signed, VerifyError};
pub use refund::{Refund, RefundAmount, RefundNotice, RefundStatus};
pub use signing::{Authorization, MerchantKey, SCHEME, VerifyingKey, message, nonce};
pub use transaction::{Payer, TradeState, Transaction, TransactionAmount};

/// An enum of WeChat's upper-case wire strings that keeps values this code does not know
/// (WeChat adds states) instead of failing the whole reply.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this code does not know.
            Other(String),
        }

        impl $name {
            /// The value as WeChat writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Other(value) => value,
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($wire => Self::$variant,)*
                    _ => Self::Other(value),
                }
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.as_str().to_owned()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
use wire_enum;
