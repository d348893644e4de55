//! The reconciler's second duty, on the same schedule: attempts left `processing` because
//! every delivery of their upload's message failed (the message is in the dead-letter queue)
//! are given a result the student can act on, `processing_timeout` ("处理超时，请重新上传"), so
//! no case waits on a photo that will never be checked. A late result for the same attempt
//! changes nothing (its check is recorded once).

use domain::{Actor, CheckOutcome, Command, ReasonCode};
use store::{Along, StoreError, Table, UpdateError};
use time::{Duration, OffsetDateTime};

/// After this long in `processing` an attempt's message has run out of retries: the uploads
/// queue gives each receive 6 minutes (`VisibilityTimeout` 360 s) and five receives
/// (`maxReceiveCount`), 30 minutes in all; ten more for the last one to finish. A template
/// test holds the two together.
pub const STALLED_AFTER: Duration = Duration::minutes(40);

/// How many stalled attempts one pass takes up.
const PASS_LIMIT: usize = 500;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Swept {
    /// Attempts given `processing_timeout`.
    pub timed_out: usize,
    /// Markers of attempts decided meanwhile, or of cases that can no longer change.
    pub stale: usize,
    /// Tried again next pass.
    pub failed: usize,
}

pub async fn sweep(table: &Table, now: OffsetDateTime) -> Result<Swept, StoreError> {
    let mut swept = Swept::default();
    for stalled in table
        .processing_since_before(now - STALLED_AFTER, PASS_LIMIT)
        .await?
    {
        let attempt = stalled.attempt_id;
        let timed_out = Command::RecordCheck {
            attempt_id: attempt,
            outcome: CheckOutcome::Rejected {
                reasons: vec![ReasonCode::ProcessingTimeout],
                review_flags: vec![],
            },
        };
        let actor = Actor::System("reconciler".into());
        let along = [Along::Processed(attempt)];
        let outcome = table
            .transition_along(stalled.collection_id, timed_out, actor, now, &along)
            .await;
        match outcome {
            Ok(_) => {
                swept.timed_out += 1;
                tracing::error!(
                    alarm = "attempt_timed_out",
                    collection_id = %stalled.collection_id,
                    attempt_id = %attempt,
                    "an attempt's processing never finished; the student is asked to upload again"
                );
            }
            // Checked meanwhile, or the case moved where it cannot take a check (approved):
            // nothing waits on it any more.
            Err(UpdateError::Refused(_) | UpdateError::Store(StoreError::NotFound { .. })) => {
                table.forget_processing(attempt).await?;
                swept.stale += 1;
            }
            Err(UpdateError::Store(error)) => {
                tracing::warn!(attempt_id = %attempt, %error, "stalled attempt not swept");
                swept.failed += 1;
            }
        }
    }
    Ok(swept)
}
