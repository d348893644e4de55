//! Handing a case to another account: a student who changed WeChat accounts gets their case
//! back through an operator, who checked who they are. Never while a reviewer (or a retoucher) has it: the
//! decision rests on evidence held for the account that submitted.
//!
//! Erasing the student from a case (PIPL Art. 47): the case keeps its anonymous history and
//! names no owner from then on, so no one can act on it as its student.

use super::{Collection, PrintStage, TransitionError};

/// Why a student's data cannot be erased now. Each holds for a physical reason: the data is
/// the evidence of a decision being made, or of a promise not yet kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureBlocked {
    /// A reviewer or retoucher is deciding on the photo and its face match.
    InReview,
    /// Approved and not yet acknowledged by 学信网: the photo is on its way there.
    AwaitingPublication,
    /// A refund is with WeChat Pay: its outcome is written to the case.
    RefundPending,
    /// Paid prints are not delivered yet: they need the photo and the address.
    PrintsPending,
    /// A photo is being checked: what the check writes would outlive the erasure.
    PhotoBeingChecked,
}

impl ErasureBlocked {
    pub fn code(self) -> &'static str {
        match self {
            Self::InReview => "in_review",
            Self::AwaitingPublication => "awaiting_publication",
            Self::RefundPending => "refund_pending",
            Self::PrintsPending => "prints_pending",
            Self::PhotoBeingChecked => "photo_being_checked",
        }
    }
}

impl Collection {
    pub(super) fn transfer(
        &self,
        next: &mut Collection,
        from: &str,
        to: &str,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        if self.owner == to {
            return Err(TransitionError::AlreadyApplied);
        }
        if self.owner != from {
            return Err(TransitionError::OtherOwner);
        }
        if self.status.is_under_review() {
            return Err(not_allowed());
        }
        next.owner = to.to_owned();
        Ok(())
    }

    /// Whether the student's data in this case may be erased now, or why not. A published
    /// case may be: the published photo is 学信网's from then on.
    pub fn erasable(&self) -> Result<(), ErasureBlocked> {
        use super::CollectionStatus as S;
        if self.pending_refund.is_some() {
            return Err(ErasureBlocked::RefundPending);
        }
        if self
            .attempts
            .iter()
            .any(|a| a.status == super::AttemptStatus::Processing)
        {
            return Err(ErasureBlocked::PhotoBeingChecked);
        }
        match self.status {
            S::InReview | S::Retouching => Err(ErasureBlocked::InReview),
            S::Approved | S::Publishing => Err(ErasureBlocked::AwaitingPublication),
            S::Published
                if self
                    .print
                    .as_ref()
                    .is_some_and(|p| p.stage() != PrintStage::Delivered) =>
            {
                Err(ErasureBlocked::PrintsPending)
            }
            _ => Ok(()),
        }
    }

    /// Whether the case was erased: it names no owner.
    pub fn is_erased(&self) -> bool {
        self.owner.is_empty()
    }

    pub(super) fn erase(&self, next: &mut Collection) -> Result<(), TransitionError> {
        if self.is_erased() {
            return Err(TransitionError::AlreadyApplied);
        }
        self.erasable().map_err(TransitionError::ErasureBlocked)?;
        next.owner = String::new();
        Ok(())
    }
}
