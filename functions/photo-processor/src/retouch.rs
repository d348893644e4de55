//! A retoucher's corrected photo: checked by the engine's file and geometry checks only (size,
//! density, quality, file size, background colour, face placement: what a retoucher's tools can
//! get wrong, never the content the reviewer judges) and for being the same face as the
//! submitted photo, kept under its digest and sent back to review; or refused, with the
//! problems written where the retoucher reads them.

use domain::{AttemptId, CollectionId, CollectionStatus, Command, FaceMatch};
use photo::descriptor::Descriptor;
use photo::verify::verify;
use store::{Digest, FaceOf, RetouchedKey, UploadKey};
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
        let submitted = match table.checked(collection, attempt).await? {
            Some(checked) => table.face(FaceOf::Attempt(attempt, checked.digest)).await?,
            None => None,
        };
        let jpeg = bytes.clone();
        let problems = self
            .run(move |engine, profile| {
                let mut problems = verify(engine, &jpeg, profile).problems(profile);
                problems.extend(same_face(
                    submitted.as_deref(),
                    engine.describe_portrait(&jpeg)?,
                ));
                Ok(problems)
            })
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

/// Retouching corrects clothes, hair and shadows, never the face: a photo whose face is not
/// clearly the submitted one's (the engine's `same`, off the band where it cannot tell) is
/// refused, so no one can put another face on a student's diploma through retouching.
fn same_face(submitted: Option<&[f32]>, retouched: Option<Descriptor>) -> Option<String> {
    let Some(submitted) = submitted else {
        return Some("face: the submitted photo's face is not on record".into());
    };
    let Some(retouched) = retouched else {
        return Some("face: no single face found".into());
    };
    match FaceMatch::compare(&retouched.0, submitted) {
        FaceMatch::Same { .. } => None,
        FaceMatch::Different { distance, .. } | FaceMatch::Uncertain { distance, .. } => Some(
            format!("face: not clearly the submitted photo's face (distance {distance:.3})"),
        ),
        FaceMatch::Unavailable { .. } => Some("face: cannot be compared".into()),
    }
}
