//! A student's photo attempt: standardise, check, store the results, record the outcome.

use domain::{
    AttemptId, CheckOutcome, Collection, CollectionId, Command, ReasonCode, TransitionError,
};
use store::{
    Along, Checked, Digest, FaceOf, ImageType, Processing, StoreError, UpdateError, UploadKey,
};

use crate::{Done, Processor, Retry};

impl Processor {
    pub(crate) async fn attempt(
        &self,
        collection: CollectionId,
        attempt: AttemptId,
    ) -> Result<Done, Retry> {
        let table = &self.store.table;
        let Some(case) = self.case(collection).await? else {
            return Ok(Done::Orphan);
        };
        let Some(current) = case.attempt(attempt) else {
            return Ok(Done::Orphan);
        };
        // Its student's data was erased (the upload came after): nothing is made of it.
        if case.is_erased() {
            return Ok(Done::Orphan);
        }
        if current.status.is_final() {
            return Ok(Done::Duplicate);
        }
        if case.status.is_locked() {
            return Ok(Done::Frozen);
        }
        // The student sees "checking" while the engine runs; the marker lets the sweeper
        // find the attempt if every delivery of its message fails.
        let begin = Command::BeginProcessing {
            attempt_id: attempt,
        };
        let marker = Processing {
            collection_id: collection,
            attempt_id: attempt,
            since: self.store.clock.now(),
        };
        if let Some(done) = self
            .record(collection, begin, &[Along::Processing(&marker)])
            .await?
        {
            return Ok(done);
        }

        let key = UploadKey::Attempt {
            collection,
            attempt,
        };
        let Some(bytes) = self.store.objects.read_upload(key).await? else {
            return Ok(Done::Orphan);
        };
        // Everything below is named by the digest of the bytes read here: a replayed upload
        // read by another delivery makes other objects, and the verdict on record names its own.
        let checked = Checked {
            collection,
            attempt,
            digest: Digest::of(&bytes),
        };
        let objects = &self.store.objects;
        let content_type =
            ImageType::sniff(&bytes).map_or("application/octet-stream", ImageType::content_type);
        objects
            .put_photo_object(&checked.original_key(), content_type, bytes.clone())
            .await?;
        let outcome = self
            .run(move |engine, profile| engine.standardize(&bytes, profile))
            .await?;

        // Results first, the state last: an attempt marked passed always has its photo,
        // report and descriptor, and a retry after a crash rewrites the same objects.
        let report = outcome.report.to_json().into_bytes();
        objects
            .put_photo_object(&checked.report_key(), "application/json", report)
            .await?;
        let passed = outcome.passed();
        if let Some(jpeg) = outcome.jpeg {
            objects
                .put_photo_object(&checked.standardised_key(), "image/jpeg", jpeg)
                .await?;
        }
        if let Some(preview) = outcome.preview {
            objects
                .put_photo_object(&checked.preview_key(), "image/jpeg", preview)
                .await?;
        }
        if let (true, Some(descriptor)) = (passed, &outcome.descriptor) {
            table
                .put_face(FaceOf::Attempt(attempt, checked.digest), &descriptor.0)
                .await?;
        }

        let mut review_flags: Vec<ReasonCode> =
            outcome.report.review_flags.iter().map(|f| f.code).collect();
        review_flags.sort();
        review_flags.dedup();
        let outcome = if passed {
            CheckOutcome::Passed { review_flags }
        } else {
            CheckOutcome::Rejected {
                reasons: outcome.report.reason_codes(),
                review_flags,
            }
        };
        let record = Command::RecordCheck {
            attempt_id: attempt,
            outcome,
        };
        let evidence = [Along::Evidence(&checked), Along::Processed(attempt)];
        match self.record(collection, record, &evidence).await? {
            None => Ok(if passed { Done::Passed } else { Done::Rejected }),
            Some(done) => {
                self.discard_unless_recorded(&checked).await?;
                Ok(done)
            }
        }
    }

    /// The case an upload's key names, if it exists.
    pub(crate) async fn case(&self, id: CollectionId) -> Result<Option<Collection>, Retry> {
        match self.store.table.collection(id).await {
            Ok(case) => Ok(Some(case)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Another delivery's verdict was recorded first. If it was made from other bytes (a
    /// replayed upload read in between), what this delivery made is no one's evidence: gone,
    /// so the objects kept are exactly those of the verdict on record.
    async fn discard_unless_recorded(&self, mine: &Checked) -> Result<(), Retry> {
        let recorded = self
            .store
            .table
            .checked(mine.collection, mine.attempt)
            .await?;
        if recorded.is_some_and(|r| r.digest == mine.digest) {
            return Ok(());
        }
        let objects = &self.store.objects;
        for key in [
            mine.original_key(),
            mine.standardised_key(),
            mine.preview_key(),
            mine.report_key(),
        ] {
            objects.delete_photo_object(&key).await?;
        }
        self.store
            .table
            .delete_face(FaceOf::Attempt(mine.attempt, mine.digest))
            .await?;
        Ok(())
    }

    /// Applies a command to the case. `Some(done)` when the case refused it in a way that
    /// ends the work on this upload: already applied, or the case moved on.
    pub(crate) async fn record(
        &self,
        collection: CollectionId,
        command: Command,
        along: &[Along<'_>],
    ) -> Result<Option<Done>, Retry> {
        let now = self.store.clock.now();
        match self
            .store
            .table
            .transition_along(collection, command, Self::actor(), now, along)
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
