//! Handing a case to another account: a student who changed WeChat accounts gets their case
//! back through an operator, who checked who they are. Never while a reviewer (or a retoucher) has it: the
//! decision rests on evidence held for the account that submitted.

use super::{Collection, TransitionError};

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
}
