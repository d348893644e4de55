//! A student's photo attempt: standardise, check, store the results, record the outcome.

use domain::{AttemptId, CheckOutcome, CollectionId, Command, ReasonCode, TransitionError};
use store::objects::{report_key, standardised_photo_key};
use store::{FaceOf, StoreError, UpdateError, UploadKey};

use crate::{Done, Processor, Retry};

impl Processor {
    pub(crate) async fn attempt(
        &self,
        collection: CollectionId,
        attempt: AttemptId,
    ) -> Result<Done, Retry> {
        let table = &self.store.table;
        let case = match table.collection(collection).await {
            Ok(case) => case,
            Err(StoreError::NotFound { .. }) => return Ok(Done::Orphan),
            Err(e) => return Err(e.into()),
        };
        let Some(current) = case.attempt(attempt) else {
            return Ok(Done::Orphan);
        };
        if current.status.is_final() {
            return Ok(Done::Duplicate);
        }
        if case.status.is_locked() {
            return Ok(Done::Frozen);
        }
        // The student sees "checking" while the engine runs.
        let begin = Command::BeginProcessing {
            attempt_id: attempt,
        };
        if let Some(done) = self.record(collection, begin).await? {
            return Ok(done);
        }

        let key = UploadKey::Attempt {
            collection,
            attempt,
        };
        let Some(bytes) = self.store.objects.read_upload(key).await? else {
            return Ok(Done::Orphan);
        };
        let outcome = self
            .run(move |engine, profile| engine.standardize(&bytes, profile))
            .await?;

        // Results first, the state last: an attempt marked passed always has its photo,
        // report and descriptor, and a retry after a crash rewrites the same objects.
        let objects = &self.store.objects;
        let report = outcome.report.to_json().into_bytes();
        objects
            .put_photo_object(&report_key(collection, attempt), "application/json", report)
            .await?;
        let passed = outcome.passed();
        if let Some(jpeg) = outcome.jpeg {
            objects
                .put_photo_object(
                    &standardised_photo_key(collection, attempt),
                    "image/jpeg",
                    jpeg,
                )
                .await?;
        }
        if let (true, Some(descriptor)) = (passed, &outcome.descriptor) {
            table
                .put_face(FaceOf::Attempt(attempt), &descriptor.0)
                .await?;
        }

        let mut review_flags: Vec<ReasonCode> =
            outcome.report.review_flags.iter().map(|f| f.code).collect();
        review_flags.sort();
        review_flags.dedup();
        let checked = if passed {
            CheckOutcome::Passed { review_flags }
        } else {
            CheckOutcome::Rejected {
                reasons: outcome.report.reason_codes(),
                review_flags,
            }
        };
        let record = Command::RecordCheck {
            attempt_id: attempt,
            outcome: checked,
        };
        Ok(self.record(collection, record).await?.unwrap_or(if passed {
            Done::Passed
        } else {
            Done::Rejected
        }))
    }

    /// Applies a command to the case. `Some(done)` when the case refused it in a way that
    /// ends the work on this upload: already applied, or the case moved on.
    async fn record(
        &self,
        collection: CollectionId,
        command: Command,
    ) -> Result<Option<Done>, Retry> {
        let now = self.store.clock.now();
        match self
            .store
            .table
            .transition(collection, command, Self::actor(), now)
            .await
        {
            Ok(_) => Ok(None),
            // Processing was begun by an earlier delivery that did not finish: go on.
            Err(UpdateError::Refused(TransitionError::AlreadyApplied)) => Ok(None),
            Err(UpdateError::Refused(e)) if e.is_duplicate() => Ok(Some(Done::Duplicate)),
            Err(UpdateError::Refused(e)) => {
                tracing::warn!(%collection, error = %e, "the case refused the check");
                Ok(Some(Done::Frozen))
            }
            Err(UpdateError::Store(e)) => Err(e.into()),
        }
    }
}
