//! `functions/purger`: carries out the retention rules (`domain::retention`) for every case
//! of every task, object by object and item by item. Deleting is idempotent and each kind is
//! recorded as done only after its last deletion, so a run that stops half way is finished
//! by the next, and a later run deletes nothing twice. A case that is not closed is never
//! touched. It holds no personal-data key: it deletes, it never reads what it deletes.
//!
//! Not yet carried out here: the `identity` kind (sealed identities, roster rows, what ID
//! cards read), which other cases of the same student may still need.

use std::collections::BTreeMap;

use domain::retention::{self, Kind, Policy};
use domain::{Collection, CollectionTask};
use store::{FaceOf, PortraitChecked, PurgeLog, RetouchedKey, Store, StoreError, UploadKey};
use time::OffsetDateTime;

pub struct Purger {
    pub store: Store,
    pub policy: Policy,
}

/// What one case's purge of one kind deleted.
#[derive(Default)]
struct Deleted {
    objects: u64,
    items: u64,
}

impl Purger {
    /// The store (no personal-data key) and the periods from `RETENTION_ORIGINALS_DAYS`,
    /// `RETENTION_PHOTOS_DAYS` and `RETENTION_IDENTITY_DAYS` (defaults 30, 180, 180).
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let sdk = aws_config::load_from_env().await;
        let store = Store::with_sdk_config(&sdk, store::Config::load(&sdk).await?);
        let days = |name: &str, default: i64| -> Result<i64, String> {
            match std::env::var(name) {
                Ok(v) => v
                    .parse()
                    .map_err(|_| format!("{name}={v} is not a number of days")),
                Err(_) => Ok(default),
            }
        };
        let defaults = Policy::default();
        let policy = Policy {
            originals_days: days("RETENTION_ORIGINALS_DAYS", defaults.originals_days)?,
            photos_days: days("RETENTION_PHOTOS_DAYS", defaults.photos_days)?,
            identity_days: days("RETENTION_IDENTITY_DAYS", defaults.identity_days)?,
        };
        Ok(Self { store, policy })
    }

    /// One pass over every task's cases; the counts are logged and kept.
    pub async fn run(&self, now: OffsetDateTime) -> Result<PurgeLog, StoreError> {
        let table = &self.store.table;
        let mut log = PurgeLog {
            at: now,
            cases_seen: 0,
            cases_failed: 0,
            cases_purged: BTreeMap::new(),
            objects_deleted: 0,
            items_deleted: 0,
        };
        for task in table.tasks().await? {
            for case in table.collections_of_task(task.id).await? {
                log.cases_seen += 1;
                // One case that cannot be purged (a record a bug left unreadable, a store
                // that throttles) must not keep every other case's data past its time.
                if let Err(error) = self.purge_case(&case, &task, now, &mut log).await {
                    log.cases_failed += 1;
                    tracing::error!(
                        alarm = "purge_case_failed",
                        case_id = %case.id,
                        %error,
                        "case not purged; tried again next run"
                    );
                }
            }
        }
        table.put_purge_log(&log).await?;
        tracing::info!(
            cases_seen = log.cases_seen,
            cases_failed = log.cases_failed,
            objects = log.objects_deleted,
            items = log.items_deleted,
            "purge run"
        );
        Ok(log)
    }

    /// Deletes what of `case` is due and not yet recorded done, recording each kind after its
    /// last deletion.
    async fn purge_case(
        &self,
        case: &Collection,
        task: &CollectionTask,
        now: OffsetDateTime,
        log: &mut PurgeLog,
    ) -> Result<(), StoreError> {
        let table = &self.store.table;
        let due = retention::due(case, task, now, &self.policy);
        if due.is_empty() {
            return Ok(());
        }
        let done = table.purged(case.id).await?;
        for kind in due.into_iter().filter(|k| !done.contains(k)) {
            let Some(deleted) = self.purge(case, task, kind, now).await? else {
                continue;
            };
            table.record_purged(case.id, kind).await?;
            *log.cases_purged.entry(kind).or_default() += 1;
            log.objects_deleted += deleted.objects;
            log.items_deleted += deleted.items;
        }
        Ok(())
    }

    /// Deletes `kind` of `case`'s data; `None` for a kind not carried out here.
    async fn purge(
        &self,
        case: &Collection,
        task: &CollectionTask,
        kind: Kind,
        now: OffsetDateTime,
    ) -> Result<Option<Deleted>, StoreError> {
        let (table, objects) = (&self.store.table, &self.store.objects);
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
                for card in self.cards_to_forget(case, task, now).await? {
                    table
                        .delete_face(FaceOf::Portrait(card.portrait, card.digest))
                        .await?;
                    deleted.items += 1;
                }
            }
            Kind::Originals => {
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
                for card in self.cards_to_forget(case, task, now).await? {
                    let upload = UploadKey::Portrait(card.portrait).to_string();
                    objects.delete_upload(&upload).await?;
                    objects.delete_photo_object(&card.copy_key()).await?;
                    deleted.objects += 2;
                }
            }
            Kind::Photos => {
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
            }
            Kind::Identity => return Ok(None),
        }
        Ok(Some(deleted))
    }

    /// The ID-card uploads `case`'s submissions were matched against, once no case of its
    /// student may still need them (none when one is open): each once, read once per kind.
    async fn cards_to_forget(
        &self,
        case: &Collection,
        task: &CollectionTask,
        now: OffsetDateTime,
    ) -> Result<Vec<PortraitChecked>, StoreError> {
        if !self.owner_is_done(case, task, now).await? {
            return Ok(Vec::new());
        }
        let mut cards = Vec::new();
        for attempt in &case.attempts {
            if let Some(card) = self.store.table.matched_portrait(attempt.id).await?
                && !cards.contains(&card)
            {
                cards.push(card);
            }
        }
        Ok(cards)
    }

    /// Whether every case of `case`'s student is closed: only then may what their ID card
    /// gave (its face, its photo) go, which a case still open would compare with.
    async fn owner_is_done(
        &self,
        case: &Collection,
        task: &CollectionTask,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let table = &self.store.table;
        for other in table.collections_of(&case.owner).await? {
            let other_task = if other.task_id == task.id {
                task.clone()
            } else {
                table.task(other.task_id).await?
            };
            if retention::closed(&other, &other_task, now).is_none() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
