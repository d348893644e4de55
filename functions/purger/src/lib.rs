//! `functions/purger`: carries out the retention rules (`domain::retention`) for every case
//! of every task, object by object and item by item. Deleting is idempotent and each kind is
//! recorded as done only after its last deletion, so a run that stops half way is finished
//! by the next, and a later run deletes nothing twice. A case that is not closed is never
//! touched. It holds no personal-data key: it deletes, it never reads what it deletes.
//!
//! It also carries out the erasures students asked for and operators approved (`erasure`).

mod delete;
mod erasure;
mod identity;

use std::collections::BTreeMap;

use domain::retention::{self, Kind, Policy};
use domain::{Collection, CollectionTask};
use store::{PortraitChecked, PurgeLog, Store, StoreError};
use time::OffsetDateTime;

use delete::Deleted;
pub use erasure::ErasureLog;

pub struct Purger {
    pub store: Store,
    pub policy: Policy,
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
            roster_items_deleted: 0,
        };
        for task in table.tasks().await? {
            // Cases whose identity is still kept: the roster waits for the last of them.
            let mut identity_kept = 0;
            for case in table.collections_of_task(task.id).await? {
                log.cases_seen += 1;
                // One case that cannot be purged (a record a bug left unreadable, a store
                // that throttles) must not keep every other case's data past its time.
                match self.purge_case(&case, &task, now, &mut log).await {
                    Ok(identity_gone) => identity_kept += u64::from(!identity_gone),
                    Err(error) => {
                        identity_kept += 1;
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
            if identity_kept == 0 && retention::roster_due(&task, now, &self.policy) {
                let rows = table.forget_roster(task.id).await?;
                log.items_deleted += rows;
                log.roster_items_deleted += rows;
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
    /// last deletion. Whether the case's identity is gone (now or before).
    async fn purge_case(
        &self,
        case: &Collection,
        task: &CollectionTask,
        now: OffsetDateTime,
        log: &mut PurgeLog,
    ) -> Result<bool, StoreError> {
        let table = &self.store.table;
        let due = retention::due(case, task, now, &self.policy);
        if due.is_empty() {
            return Ok(false);
        }
        let mut done = table.purged(case.id).await?;
        let todo: Vec<Kind> = due.into_iter().filter(|k| !done.contains(k)).collect();
        for kind in todo {
            let Some(deleted) = self.purge(case, task, kind, now).await? else {
                continue;
            };
            table.record_purged(case.id, kind).await?;
            done.push(kind);
            *log.cases_purged.entry(kind).or_default() += 1;
            log.objects_deleted += deleted.objects;
            log.items_deleted += deleted.items;
        }
        Ok(done.contains(&Kind::Identity))
    }

    /// Deletes `kind` of `case`'s data if it may go now; `None` when it must wait (an ID
    /// card another case of the student still needs, an identity another case still needs).
    async fn purge(
        &self,
        case: &Collection,
        task: &CollectionTask,
        kind: Kind,
        now: OffsetDateTime,
    ) -> Result<Option<Deleted>, StoreError> {
        if kind == Kind::Identity {
            return self.purge_identity(case, task, now).await;
        }
        let cards = self.cards_to_forget(case, task, now).await?;
        self.delete(case, kind, &cards).await.map(Some)
    }

    /// The ID-card uploads `case`'s submissions were matched against, once no case of its
    /// student may still need them (none while one is open).
    async fn cards_to_forget(
        &self,
        case: &Collection,
        task: &CollectionTask,
        now: OffsetDateTime,
    ) -> Result<Vec<PortraitChecked>, StoreError> {
        let closed = |c: &Collection, t: &CollectionTask| retention::closed(c, t, now).is_some();
        if !self.every_case_of_owner(case, task, closed).await? {
            return Ok(Vec::new());
        }
        self.cards_of(case).await
    }

    /// The ID-card uploads `case`'s submissions were matched against, each once.
    async fn cards_of(&self, case: &Collection) -> Result<Vec<PortraitChecked>, StoreError> {
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

    /// Whether `test` holds for every case of `case`'s student (`case` included, with its
    /// `task` at hand); true for an erased case, which is no one's.
    async fn every_case_of_owner(
        &self,
        case: &Collection,
        task: &CollectionTask,
        test: impl Fn(&Collection, &CollectionTask) -> bool,
    ) -> Result<bool, StoreError> {
        let table = &self.store.table;
        if case.is_erased() {
            return Ok(test(case, task));
        }
        for other in table.collections_of(&case.owner).await? {
            let other_task = if other.task_id == task.id {
                task.clone()
            } else {
                table.task(other.task_id).await?
            };
            if !test(&other, &other_task) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
