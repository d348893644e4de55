//! The `identity` kind: who the student is (the sealed identity, what their ID cards read,
//! the account a case names) and where they live (the postal address). It goes once every
//! case of the student is past its identity date, as any of them may still have to show who
//! its student is; the case is then erased of its owner ([`domain::Command::Erase`]), and
//! keeps its anonymous history.

use domain::retention::{self, Kind};
use domain::{Collection, CollectionTask};
use store::{PortraitChecked, StoreError, UpdateError};
use time::OffsetDateTime;

use crate::Purger;
use crate::delete::Deleted;

impl Purger {
    /// `None` while the identity must wait: another case of the student still needs it, or
    /// the case cannot be erased yet (prints not delivered).
    pub(crate) async fn purge_identity(
        &self,
        case: &Collection,
        task: &CollectionTask,
        now: OffsetDateTime,
    ) -> Result<Option<Deleted>, StoreError> {
        if case.erasable().is_err() {
            return Ok(None);
        }
        let identity_due = |c: &Collection, t: &CollectionTask| {
            retention::due(c, t, now, &self.policy).contains(&Kind::Identity)
        };
        if !self.every_case_of_owner(case, task, identity_due).await? {
            return Ok(None);
        }
        let cards = self.cards_of(case).await?;
        let mut deleted = self.delete(case, Kind::Identity, &cards).await?;
        if !case.is_erased() {
            deleted += self.forget_student(&case.owner).await?;
            if !self.erase_case(case, now).await? {
                return Ok(None);
            }
        }
        Ok(Some(deleted))
    }

    /// Everything kept of `openid` as a student: the record with its sealed identity and
    /// consents, the identity's owner item, and all the current ID-card portrait gave.
    pub(crate) async fn forget_student(&self, openid: &str) -> Result<Deleted, StoreError> {
        let table = &self.store.table;
        let footprint = table.student_footprint(openid).await?;
        let mut deleted = Deleted::default();
        if let Some(card) = footprint.portrait.as_ref().and_then(PortraitChecked::of) {
            for kind in Kind::ALL {
                deleted += self.delete_card(&card, kind).await?;
            }
        }
        deleted.items += table.forget_student(openid, &footprint).await?;
        Ok(deleted)
    }

    /// Erases the owner from `case`; false when the case moved meanwhile to where it may not
    /// be erased (its student submitted a photo, say).
    pub(crate) async fn erase_case(
        &self,
        case: &Collection,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        match self.store.table.erase_case(case.id, now).await {
            Ok(_) => Ok(true),
            Err(UpdateError::Refused(refusal)) => Ok(refusal.is_duplicate()),
            Err(UpdateError::Store(e)) => Err(e),
        }
    }
}
