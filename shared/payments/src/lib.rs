//! Payment is taken once per case (DESIGN §6). This crate is the one place that turns what
//! WeChat Pay says into changes of a case: the API's payment and refund routes, the payment
//! webhook and the reconciler are thin layers over it.
//!
//! - [`Payments::checkout`] places (or reuses) the case's order and signs the mini program's
//!   payment parameters.
//! - [`Payments::receive`] verifies, decrypts and applies one notification.
//! - [`Payments::request_refund`] asks for the money back before approval.
//! - [`Payments::reconcile`] asks WeChat Pay about orders and refunds whose notification never
//!   came.
//!
//! Whatever WeChat Pay reports goes through [`Payments::apply_transaction`] or
//! [`Payments::apply_refund`], whichever way it arrived, so a notification and a query can
//! never disagree about what a report means.

mod apply;
mod checkout;
mod error;
mod receive;
mod reconcile;
mod refund;

use std::sync::Arc;

use store::Table;
use wechat::pay::{PayClient, PayConfig};

pub use apply::Applied;
pub use checkout::Checkout;
pub use error::PaymentError;
pub use receive::{Received, Rejected};
pub use reconcile::Reconciled;

/// How long a notification's nonce is remembered: longer than the window in which its
/// timestamp is accepted on either side, so a replay is refused for as long as it could pass.
pub const NONCE_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Orders younger than this are left to their notification by the reconciler.
pub const RECONCILE_AFTER: time::Duration = time::Duration::minutes(10);

/// Payment operations over one table and one WeChat Pay merchant.
#[derive(Clone)]
pub struct Payments {
    table: Table,
    client: Arc<PayClient>,
}

/// Platform keys are public, but too long for Lambda's 4 KB of environment: in the cloud they
/// come from SSM like the secrets.
const PLATFORM_KEY_VARS: [&str; 2] = ["WECHATPAY_PLATFORM_CERTS", "WECHATPAY_PUBLIC_KEY"];

/// Payments as a function's environment configures them (see `infra/template.yaml`): plain
/// variables from the environment; the merchant key, the APIv3 key and the platform keys
/// through [`store::secret`] (the variable itself locally, an SSM parameter in the cloud).
pub async fn from_env(
    sdk: &aws_config::SdkConfig,
    table: Table,
) -> Result<Payments, Box<dyn std::error::Error + Send + Sync>> {
    let mut secrets = std::collections::HashMap::new();
    for name in wechat::pay::SECRET_VARS {
        secrets.insert(name, store::secret(sdk, name).await?);
    }
    // Either mode of platform key may be absent (WeChat Pay migrates merchants between them).
    for name in PLATFORM_KEY_VARS {
        let given = |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty());
        if given(name) || given(&format!("{name}_PARAMETER")) {
            secrets.insert(name, store::secret(sdk, name).await?);
        }
    }
    let config = PayConfig::from_vars(|name| {
        secrets
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    })?;
    let http = wechat::http_client(std::time::Duration::from_secs(3));
    Ok(Payments::new(
        table,
        Arc::new(PayClient::new(Arc::new(config), http)),
    ))
}

impl Payments {
    pub fn new(table: Table, client: Arc<PayClient>) -> Self {
        Self { table, client }
    }

    pub fn client(&self) -> &PayClient {
        &self.client
    }
}
