//! Deleting one kind of one case's data, for the retention rules and for an erasure alike.
//! Every deletion is of an object or an item that may already be gone, so doing it again
//! changes nothing.

use domain::Collection;
use domain::retention::Kind;
use store::{FaceOf, PortraitChecked, RetouchedKey, StoreError, UploadKey};

use crate::Purger;

/// What a deletion deleted, counted.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Deleted {
    pub objects: u64,
    pub items: u64,
}

impl std::ops::AddAssign for Deleted {
    fn add_assign(&mut self, other: Self) {
        self.objects += other.objects;
        self.items += other.items;
    }
}

impl Purger {
    /// Deletes `kind` of `case`'s data, and what the ID cards in `cards` gave of that kind
    /// (the caller decides whether the student still needs them).
    pub(crate) async fn delete(
        &self,
        case: &Collection,
        kind: Kind,
        cards: &[PortraitChecked],
    ) -> Result<Deleted, StoreError> {
        let table = &self.store.table;
        let mut deleted = Deleted::default();
        match kind {
            Kind::Descriptors => {
                for attempt in &case.attempts {
                    if let Some(checked) = table.checked(case.id, attempt.id).await? {
                        table
                            .delete_face(FaceOf::Attempt(attempt.id, checked.digest))
                            .await?;
                        deleted.items += 1;
                    }
                }
            }
            Kind::Originals => deleted += self.delete_originals(case).await?,
            Kind::Photos => deleted += self.delete_photos(case).await?,
            Kind::Identity => {
                table.delete_key(store::keys::address(case.id)).await?;
                deleted.items += 1;
                let paid = case.payment.iter().map(|p| &p.order_no);
                for order_no in paid.chain(&case.refunded_orders) {
                    deleted.items += u64::from(table.forget_payer(order_no).await?);
                }
            }
        }
        for card in cards {
            deleted += self.delete_card(card, kind).await?;
        }
        Ok(deleted)
    }

    async fn delete_originals(&self, case: &Collection) -> Result<Deleted, StoreError> {
        let (table, objects) = (&self.store.table, &self.store.objects);
        let mut deleted = Deleted::default();
        for attempt in &case.attempts {
            for upload in [
                UploadKey::Attempt {
                    collection: case.id,
                    attempt: attempt.id,
                },
                UploadKey::Retouch {
                    collection: case.id,
                    attempt: attempt.id,
                },
            ] {
                objects.delete_upload(&upload.to_string()).await?;
                deleted.objects += 1;
            }
            if let Some(checked) = table.checked(case.id, attempt.id).await? {
                objects.delete_photo_object(&checked.original_key()).await?;
                deleted.objects += 1;
            }
        }
        Ok(deleted)
    }

    async fn delete_photos(&self, case: &Collection) -> Result<Deleted, StoreError> {
        let (table, objects) = (&self.store.table, &self.store.objects);
        let mut deleted = Deleted::default();
        for attempt in &case.attempts {
            if let Some(checked) = table.checked(case.id, attempt.id).await? {
                for key in [
                    checked.standardised_key(),
                    checked.preview_key(),
                    checked.report_key(),
                ] {
                    objects.delete_photo_object(&key).await?;
                    deleted.objects += 1;
                }
            }
            let check = RetouchedKey::check_key(case.id, attempt.id);
            objects.delete_photo_object(&check).await?;
            deleted.objects += 1;
        }
        if let Some(retouched) = RetouchedKey::of(case) {
            objects.delete_photo_object(&retouched.photo_key()).await?;
            deleted.objects += 1;
        }
        if let Some(printed) = case.print.as_ref().and_then(|p| p.printed.as_ref()) {
            let batch = table.print_batch(printed.batch_id).await?;
            for sheet in batch.sheets.iter().filter(|s| s.collection_id == case.id) {
                objects.delete_photo_object(&sheet.key).await?;
                deleted.objects += 1;
            }
        }
        Ok(deleted)
    }

    /// Deletes `kind` of what one ID-card upload gave: its face, its images, its text.
    pub(crate) async fn delete_card(
        &self,
        card: &PortraitChecked,
        kind: Kind,
    ) -> Result<Deleted, StoreError> {
        let (table, objects) = (&self.store.table, &self.store.objects);
        let mut deleted = Deleted::default();
        match kind {
            Kind::Descriptors => {
                table
                    .delete_face(FaceOf::Portrait(card.portrait, card.digest))
                    .await?;
                deleted.items += 1;
            }
            Kind::Originals => {
                let upload = UploadKey::Portrait(card.portrait).to_string();
                objects.delete_upload(&upload).await?;
                objects.delete_photo_object(&card.copy_key()).await?;
                deleted.objects += 2;
            }
            Kind::Photos => {}
            Kind::Identity => {
                table.delete_card_text(card).await?;
                deleted.items += 1;
            }
        }
        Ok(deleted)
    }
}
