//! Delivery of an archive towards 学信网, behind one trait: the publisher picks a gateway from
//! configuration, and retries a failed batch later with the same id and bytes.

use std::future::Future;
use std::pin::Pin;

use crate::archive::Archive;

/// What the receiving side acknowledged a batch with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// Worth retrying later: network, timeouts, 5xx, storage errors.
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
    /// The receiver turned the batch down; retrying the same bytes will not help, an operator
    /// has to look.
    #[error("batch refused: {0}")]
    Refused(String),
}

/// The future [`ChsiGateway::deliver`] returns.
pub type Delivery<'a> = Pin<Box<dyn Future<Output = Result<Receipt, GatewayError>> + Send + 'a>>;

/// A way to hand an archive on. Delivering the same batch again must be harmless: gateways are
/// idempotent per batch id.
///
/// `deliver` returns a boxed future rather than being an `async fn` so the trait stays
/// dyn-compatible (`Box<dyn ChsiGateway>`).
pub trait ChsiGateway: Send + Sync {
    fn deliver<'a>(&'a self, archive: &'a Archive) -> Delivery<'a>;

    /// A short name for logs and configuration, e.g. `s3-outbox`.
    fn name(&self) -> &'static str;
}
