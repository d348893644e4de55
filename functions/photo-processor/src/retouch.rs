//! A retoucher's corrected photo: checked by the engine's file and geometry checks only (size,
//! density, quality, file size, background colour, face placement: what a retoucher's tools can
//! get wrong, never the content the reviewer judges), kept under its digest and sent back to
//! review; or refused, with the problems written where the retoucher reads them.

use domain::{AttemptId, CollectionId, CollectionStatus, Command};
use photo::verify::verify;
use store::{Digest, RetouchedKey, UploadKey};
use time::format_description::well_known::Rfc3339;

use crate::{Done, Processor, Retry};

impl Processor {
    pub(crate) async fn retouch(
        &self,
        collection: CollectionId,
        attempt: AttemptId,
    ) -> Result<Done, Retry> {
        let table = &self.store.table;
        let Some(case) = self.case(collection).await? else {
            return Ok(Done::Orphan);
        };
        if case.retouch.as_ref().map(|r| r.attempt_id) != Some(attempt) {
            return Ok(Done::Orphan);
        }
        if case.status != CollectionStatus::Retouching {
            return Ok(Done::Duplicate);
        }
        let objects = &self.store.objects;
        let Some(bytes) = objects
            .read_upload(UploadKey::Retouch {
                collection,
                attempt,
            })
            .await?
        else {
            return Ok(Done::Orphan);
        };
        let key = RetouchedKey {
            collection,
            attempt,
            digest: Digest::of(&bytes),
        };
        let jpeg = bytes.clone();
        let problems = self
            .run(move |engine, profile| Ok(verify(engine, &jpeg, profile).problems(profile)))
            .await?;
        let now = self.store.clock.now();
        let check = serde_json::json!({
            "sha256": key.digest.to_string(),
            "problems": problems,
            "checked_at": now.format(&Rfc3339).unwrap_or_default(),
        });
        objects
            .put_photo_object(
                &RetouchedKey::check_key(collection, attempt),
                "application/json",
                check.to_string().into_bytes(),
            )
            .await?;
        if !problems.is_empty() {
            return Ok(Done::RetouchRefused);
        }
        objects
            .put_photo_object(&key.photo_key(), "image/jpeg", bytes)
            .await?;
        // The retoucher is whoever holds (or last held) the case: only they were given the
        // upload's URL.
        let retoucher = table
            .lease(collection)
            .await?
            .map_or_else(|| "unknown".to_owned(), |l| l.reviewer);
        let back = Command::Retouched {
            retoucher: retoucher.clone(),
            sha256: key.digest.to_string(),
        };
        let done = self.record(collection, back, &[]).await?;
        // Back in review: a reviewer may take it at once.
        table.end_lease(collection, &retoucher, now).await?;
        Ok(done.unwrap_or(Done::Retouched))
    }
}
