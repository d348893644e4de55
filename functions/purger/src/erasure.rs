//! Erasures students asked for and operators approved (DESIGN §3): every case of the student
//! is erased of its owner first (from then on no one can act on it as its student), then its
//! data of every kind goes, then the student's own records; the request ends with counts and
//! no longer names the student. Each step may be done again, and the request records the
//! cases before the first is erased, so a run that stops half way is finished by the next.

use domain::retention::Kind;
use serde::Serialize;
use store::{Erased, ErasureProgress, OperatorRequest, RequestKind, StoreError};
use time::OffsetDateTime;

use crate::Purger;
use crate::delete::Deleted;

/// One pass over the approved erasures.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ErasureLog {
    pub done: u64,
    /// Waiting for the student's case to leave review, publication, a refund or the post.
    pub waiting: u64,
    pub failed: u64,
}

impl Purger {
    /// Carries out every approved erasure that can be now.
    pub async fn run_erasures(&self, now: OffsetDateTime) -> Result<ErasureLog, StoreError> {
        let mut log = ErasureLog::default();
        for request in self.store.table.erasures_to_run().await? {
            match self.erase(&request, now).await {
                Ok(true) => log.done += 1,
                Ok(false) => log.waiting += 1,
                Err(error) => {
                    log.failed += 1;
                    tracing::error!(
                        alarm = "erasure_failed",
                        request_id = %request.id,
                        %error,
                        "erasure not finished; tried again next run"
                    );
                }
            }
        }
        tracing::info!(
            done = log.done,
            waiting = log.waiting,
            failed = log.failed,
            "erasure run"
        );
        Ok(log)
    }

    /// Whether the erasure is done; false while something waits on the student's data.
    async fn erase(
        &self,
        request: &OperatorRequest,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let table = &self.store.table;
        let RequestKind::Erasure { openid } = &request.kind else {
            return Err(StoreError::Invalid("not an erasure"));
        };
        let progress = request.erasure.clone().unwrap_or_default();
        let owned = table.collections_of(openid).await?;
        if let Some(why) = owned.iter().find_map(|c| c.erasable().err()) {
            if progress.blocked != Some(why) {
                let blocked = ErasureProgress {
                    blocked: Some(why),
                    ..progress
                };
                table.erasure_progress(request, blocked).await?;
            }
            return Ok(false);
        }
        let mut cases = progress.cases.clone();
        cases.extend(
            owned
                .iter()
                .map(|c| c.id)
                .filter(|id| !progress.cases.contains(id)),
        );
        let request = if cases != progress.cases || progress.blocked.is_some() {
            let recorded = ErasureProgress {
                cases: cases.clone(),
                blocked: None,
                done: None,
            };
            table.erasure_progress(request, recorded).await?
        } else {
            request.clone()
        };

        let mut deleted = Deleted::default();
        for id in &cases {
            let case = table.collection(*id).await?;
            if !case.is_erased() && !self.erase_case(&case, now).await? {
                // It moved meanwhile (a photo submitted): the next run says why it waits.
                return Ok(false);
            }
            let cards = self.cards_of(&case).await?;
            for kind in Kind::ALL {
                deleted += self.delete(&case, kind, &cards).await?;
                table.record_purged(case.id, kind).await?;
            }
        }
        deleted += self.forget_student(openid).await?;
        let erased = Erased {
            at: now,
            cases: cases.len() as u64,
            objects: deleted.objects,
            items: deleted.items,
        };
        table.finish_erasure(&request, erased).await?;
        tracing::info!(
            request_id = %request.id,
            cases = erased.cases,
            objects = erased.objects,
            items = erased.items,
            "erasure done"
        );
        Ok(true)
    }
}
