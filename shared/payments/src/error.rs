use domain::TransitionError;
use store::{StoreError, UpdateError};
use wechat::pay::PayError;

/// Why a payment operation did not complete.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The case's state does not allow it (already paid, approved, refund pending, …).
    #[error(transparent)]
    Refused(#[from] TransitionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// WeChat Pay refused or could not be reached.
    #[error("WeChat Pay: {0}")]
    WeChat(#[from] PayError),
    /// The case's task charges nothing, so there is nothing to pay.
    #[error("the collection task charges no fee")]
    NothingToPay,
}

impl From<UpdateError> for PaymentError {
    fn from(e: UpdateError) -> Self {
        match e {
            UpdateError::Refused(refusal) => Self::Refused(refusal),
            UpdateError::Store(store) => Self::Store(store),
        }
    }
}

impl PaymentError {
    /// Worth trying again later (the store or WeChat Pay was unavailable, or a race was lost).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(e) => e.is_transient() || matches!(e, StoreError::Conflict { .. }),
            Self::WeChat(e) => e.is_transient(),
            Self::Refused(_) | Self::NothingToPay => false,
        }
    }
}
