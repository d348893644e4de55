//! A student's ID-card portrait: store its face descriptor, or mark it unusable.

use domain::{PortraitId, PortraitStatus};
use store::{Digest, FaceOf, ImageType, PortraitChecked, UploadKey};

use crate::{Done, Processor, Retry};

impl Processor {
    pub(crate) async fn portrait(&self, portrait: PortraitId) -> Result<Done, Retry> {
        let table = &self.store.table;
        let Some(openid) = table.portrait_owner(portrait).await? else {
            return Ok(Done::Orphan);
        };
        let current = table
            .student(&openid)
            .await?
            .and_then(|s| s.portrait)
            .filter(|p| p.id == portrait);
        match current.map(|p| p.status) {
            // Replaced by a newer portrait: that one counts.
            None => return Ok(Done::Orphan),
            Some(PortraitStatus::Pending) => {}
            Some(_) => return Ok(Done::Duplicate),
        }
        let Some(bytes) = self
            .store
            .objects
            .read_upload(UploadKey::Portrait(portrait))
            .await?
        else {
            return Ok(Done::Orphan);
        };
        // As for attempts: the copy and the descriptor are named by the digest of the bytes
        // read, and the decision records it, so a replayed upload changes nothing it names.
        let checked = PortraitChecked {
            portrait,
            digest: Digest::of(&bytes),
        };
        let content_type =
            ImageType::sniff(&bytes).map_or("application/octet-stream", ImageType::content_type);
        self.store
            .objects
            .put_photo_object(&checked.copy_key(), content_type, bytes.clone())
            .await?;
        let descriptor = self
            .run(move |engine, _| engine.describe_portrait(&bytes))
            .await?;
        let (status, done) = match &descriptor {
            Some(descriptor) => {
                table
                    .put_face(FaceOf::Portrait(portrait, checked.digest), &descriptor.0)
                    .await?;
                (PortraitStatus::Usable, Done::PortraitUsable)
            }
            // No face or several: the reviewer is told at submission.
            None => (PortraitStatus::Unusable, Done::PortraitUnusable),
        };
        Ok(if table.decide_portrait(&openid, &checked, status).await? {
            done
        } else {
            Done::Duplicate
        })
    }
}
