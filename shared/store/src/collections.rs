//! Cases and their audit trail: every change is one transaction that writes the case under a
//! condition on its version together with the event of that version.

use aws_sdk_dynamodb::types::{Select, TransactWriteItem};
use domain::{
    Actor, AttemptId, Collection, CollectionId, Command, Event, FaceMatch, PhotoAttempt,
    PrintStage, TaskId, Transition, TransitionError,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::along::Along;
use crate::keys::{
    self, GSI1, GSI1_PK, GSI1_SK, GSI2, GSI2_PK, GSI2_SK, GSI3, GSI3_PK, GSI3_SK, PK, SK, VERSION,
};
use crate::table::{ABSENT, Item, Query, Table, Transact, from_record, n, record, s};

const ENTITY: &str = "collection";
const EVENT: &str = "event";

/// How often [`Table::transition`] re-reads and decides again after losing a race.
const CONFLICT_RETRIES: usize = 3;
/// BatchGetItem's limit per call.
const BATCH_GET: usize = 100;

/// The pointer that holds "one case per enrollment".
#[derive(Serialize, Deserialize)]
struct CaseOfEnrollment {
    collection_id: CollectionId,
    owner: String,
}

/// A command that could not be applied: refused by the domain, or not written.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Refused(#[from] TransitionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a case came from when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    Created,
    /// The enrollment already had a case. Linking again by its owner is idempotent; a case
    /// owned by someone else must be refused by the caller, never shown.
    Existing {
        id: CollectionId,
        owner: String,
    },
}

/// A case's place in its queue: oldest submission first (for review; the last change for
/// publishing), then the ULID as a tie-break.
fn queue_order(c: &Collection) -> String {
    let since = c.submitted_at.unwrap_or(c.updated_at);
    format!("{}#{}", since.unix_timestamp(), c.id)
}

impl Table {
    pub(crate) fn collection_item(&self, c: &Collection) -> Result<Item, StoreError> {
        let mut item = record(ENTITY, keys::collection(c.id), c)?;
        if let Some(queue) = keys::queue(c.task_id, c.status) {
            item.insert(GSI1_PK.into(), s(queue));
            item.insert(GSI1_SK.into(), s(queue_order(c)));
        }
        // Prints wait for their next step only once the photo they print is approved.
        if let Some(print) = c.print.as_ref().filter(|_| c.status.is_locked()) {
            let stage = print.stage();
            if stage != PrintStage::Delivered {
                item.insert(GSI3_PK.into(), s(keys::print_queue(c.task_id, stage)));
                item.insert(GSI3_SK.into(), s(queue_order(c)));
            }
        }
        // An erased case is no one's: it leaves the owners' index.
        if !c.is_erased() {
            item.insert(GSI2_PK.into(), s(keys::owner(&c.owner)));
            item.insert(GSI2_SK.into(), s(keys::owned_collection(c.id)));
        }
        Ok(item)
    }

    pub(crate) fn event_item(&self, e: &Event) -> Result<Item, StoreError> {
        record(EVENT, keys::event(e.collection_id, e.version), e)
    }

    /// Opens a case for an enrollment, with its creation event. If the enrollment already has
    /// a case, nothing is written and that case is returned as [`Opened::Existing`].
    pub async fn open_collection(
        &self,
        collection: &Collection,
        created: &Event,
    ) -> Result<Opened, StoreError> {
        let items = vec![
            self.put(case_of_enrollment_item(collection)?, ABSENT, &[], &[])?,
            self.put(self.collection_item(collection)?, ABSENT, &[], &[])?,
            self.put(self.event_item(created)?, ABSENT, &[], &[])?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(Opened::Created),
            // Only the guard can already exist (the case and event ids are fresh ULIDs).
            Err(Transact::ConditionFailed(_)) => self
                .case_of_enrollment(collection.task_id, &collection.student_number)
                .await?
                .ok_or_else(|| StoreError::Conflict {
                    entity: ENTITY,
                    id: collection.id.to_string(),
                    expected: 0,
                }),
            Err(Transact::Failed(err)) => Err(err),
        }
    }

    /// The case opened for an enrollment, if any, as [`Opened::Existing`].
    pub async fn case_of_enrollment(
        &self,
        task: TaskId,
        student_number: &str,
    ) -> Result<Option<Opened>, StoreError> {
        let Some(item) = self
            .get(keys::case_of_enrollment(task, student_number))
            .await?
        else {
            return Ok(None);
        };
        let pointer: CaseOfEnrollment = from_record("case_of_enrollment", item)?;
        Ok(Some(Opened::Existing {
            id: pointer.collection_id,
            owner: pointer.owner,
        }))
    }

    pub async fn collection(&self, id: CollectionId) -> Result<Collection, StoreError> {
        self.load(ENTITY, keys::collection(id), id).await
    }

    /// Writes a decided transition: the case only if it still has the version it was decided
    /// on, and its audit event, both or neither. A lost race is [`StoreError::Conflict`].
    pub async fn save(&self, transition: &Transition) -> Result<(), StoreError> {
        self.save_along(transition, &[]).await
    }

    /// [`Table::save`], with the payment records the change brings in the same transaction
    /// (an order marked paid with the payment it confirms, say), so neither is ever written
    /// without the other. A failed condition of any of them is [`StoreError::Conflict`].
    pub async fn save_along(
        &self,
        transition: &Transition,
        along: &[Along<'_>],
    ) -> Result<(), StoreError> {
        let expected = transition.expected_version();
        let mut items = self.transition_items(transition)?;
        for record in along {
            items.push(self.along_item(record)?);
        }
        self.transact(items).await.map_err(|failure| {
            failure.or_conflict(|_| StoreError::Conflict {
                entity: ENTITY,
                id: transition.next.id.to_string(),
                expected,
            })
        })
    }

    /// A transition's writes: the case if it still has the version it was decided on, and
    /// its audit event.
    pub(crate) fn transition_items(
        &self,
        transition: &Transition,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let case = self.put(
            self.collection_item(&transition.next)?,
            // `version` is a reserved word in DynamoDB expressions.
            "#version = :expected",
            &[("#version", VERSION)],
            &[(":expected", n(transition.expected_version()))],
        )?;
        let event = self.put(self.event_item(&transition.event)?, ABSENT, &[], &[])?;
        Ok(vec![case, event])
    }

    /// Reads the case, applies `command`, and saves the result; after a lost race it reads
    /// again and lets the domain decide against the newer state. For consumers that may see
    /// the same message twice, a duplicate comes back as a refusal whose
    /// [`TransitionError::is_duplicate`] is true.
    pub async fn transition(
        &self,
        id: CollectionId,
        command: Command,
        actor: Actor,
        now: OffsetDateTime,
    ) -> Result<Transition, UpdateError> {
        self.transition_along(id, command, actor, now, &[]).await
    }

    /// [`Table::transition`], writing `along` with the change ([`Table::save_along`]).
    pub async fn transition_along(
        &self,
        id: CollectionId,
        command: Command,
        actor: Actor,
        now: OffsetDateTime,
        along: &[Along<'_>],
    ) -> Result<Transition, UpdateError> {
        let mut attempt = 0;
        loop {
            let current = self.collection(id).await?;
            let transition = current.apply(command.clone(), actor.clone(), now)?;
            match self.save_along(&transition, along).await {
                Ok(()) => return Ok(transition),
                Err(StoreError::Conflict { .. }) if attempt < CONFLICT_RETRIES => attempt += 1,
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// The audit trail of a case, oldest first.
    pub async fn events(&self, id: CollectionId) -> Result<Vec<Event>, StoreError> {
        let (pk, _) = keys::collection(id);
        let items = self
            .query(Query {
                index: None,
                partition: (PK, pk),
                sort_prefix: Some((SK, keys::EVENT_PREFIX)),
                sort_below: None,
                limit: None,
                newest_first: false,
            })
            .await?;
        items
            .into_iter()
            .map(|item| from_record(EVENT, item))
            .collect()
    }

    /// A student's own cases.
    pub async fn collections_of(&self, openid: &str) -> Result<Vec<Collection>, StoreError> {
        self.collections_in(GSI2, GSI2_PK, keys::owner(openid), None)
            .await
    }

    /// Every case opened in a task, for progress reports: the task's case pointers, then the
    /// cases themselves in batches of 100 (BatchGetItem's limit).
    pub async fn collections_of_task(&self, task: TaskId) -> Result<Vec<Collection>, StoreError> {
        let pointers = self
            .query(Query {
                index: None,
                partition: (PK, keys::task(task).0),
                sort_prefix: Some((SK, keys::CASE_PREFIX)),
                sort_below: None,
                limit: None,
                newest_first: false,
            })
            .await?;
        let ids = pointers
            .into_iter()
            .map(|item| {
                Ok(from_record::<CaseOfEnrollment>("case_of_enrollment", item)?.collection_id)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut cases = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH_GET) {
            for item in self
                .batch_get(chunk.iter().map(|id| keys::collection(*id)))
                .await?
            {
                cases.push(from_record(ENTITY, item)?);
            }
        }
        Ok(cases)
    }

    /// Cases waiting for a reviewer in a task, oldest submission first.
    pub async fn review_queue(
        &self,
        task: TaskId,
        limit: usize,
    ) -> Result<Vec<Collection>, StoreError> {
        self.collections_in(GSI1, GSI1_PK, keys::review_queue(task), Some(limit))
            .await
    }

    /// When each case waiting in `task`'s review queue was submitted, oldest first, read from
    /// the index's sort keys alone (a queue of thousands is counted without reading its cases).
    pub async fn review_queue_times(
        &self,
        task: TaskId,
    ) -> Result<Vec<OffsetDateTime>, StoreError> {
        let keys = self
            .sort_keys(Some(GSI1), (GSI1_PK, keys::review_queue(task)), GSI1_SK)
            .await?;
        // Sort keys are `<unix seconds>#<id>` (see `collection_item`).
        keys.iter()
            .map(|key| {
                key.split_once('#')
                    .and_then(|(seconds, _)| seconds.parse().ok())
                    .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
                    .ok_or_else(|| StoreError::Corrupt {
                        entity: ENTITY,
                        reason: format!("review queue key {key:?}"),
                    })
            })
            .collect()
    }

    /// How many cases of its task wait for review ahead of `case` (submitted before it), for
    /// the student to see where they stand; counted on the index, reading no case.
    pub async fn review_queue_ahead(&self, case: &Collection) -> Result<u64, StoreError> {
        let request = self
            .ddb
            .query()
            .table_name(&self.name)
            .index_name(GSI1)
            .key_condition_expression("#pk = :pk AND #sk < :mine")
            .expression_attribute_names("#pk", GSI1_PK)
            .expression_attribute_names("#sk", GSI1_SK)
            .expression_attribute_values(":pk", s(keys::review_queue(case.task_id)))
            .expression_attribute_values(":mine", s(queue_order(case)))
            .select(Select::Count);
        let (mut ahead, mut start) = (0u64, None);
        loop {
            let page = request
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| StoreError::dynamodb("Query", e))?;
            ahead += u64::try_from(page.count).unwrap_or_default();
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(ahead);
            }
        }
    }

    /// Up to `limit` entries of `task`'s review queue, oldest first: what a listing shows of
    /// each case, read without the rest of it.
    pub async fn review_queue_entries(
        &self,
        task: TaskId,
        limit: usize,
    ) -> Result<Vec<QueueEntry>, StoreError> {
        let query = Query {
            index: Some(GSI1),
            partition: (GSI1_PK, keys::review_queue(task)),
            sort_prefix: None,
            sort_below: None,
            limit: Some(limit),
            newest_first: false,
        };
        let items = self
            .query_attributes(query, &QueueEntry::ATTRIBUTES)
            .await?;
        items
            .into_iter()
            .map(|item| {
                let listed: Listed =
                    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
                        entity: ENTITY,
                        reason: e.to_string(),
                    })?;
                Ok(listed.into())
            })
            .collect()
    }

    /// Cases of a task a reviewer sent to retouching, oldest submission first.
    pub async fn retouch_queue(
        &self,
        task: TaskId,
        limit: usize,
    ) -> Result<Vec<Collection>, StoreError> {
        self.collections_in(GSI1, GSI1_PK, keys::retouch_queue(task), Some(limit))
            .await
    }

    /// Cases of a task whose prints are at `stage` (ordered, printed or shipped), oldest first.
    pub async fn print_queue(
        &self,
        task: TaskId,
        stage: PrintStage,
        limit: usize,
    ) -> Result<Vec<Collection>, StoreError> {
        self.collections_in(GSI3, GSI3_PK, keys::print_queue(task, stage), Some(limit))
            .await
    }

    /// Approved cases of a task waiting to be published, oldest first.
    pub async fn publish_queue(
        &self,
        task: TaskId,
        limit: usize,
    ) -> Result<Vec<Collection>, StoreError> {
        self.collections_in(GSI1, GSI1_PK, keys::publish_queue(task), Some(limit))
            .await
    }

    async fn collections_in(
        &self,
        index: &str,
        key: &str,
        value: String,
        limit: Option<usize>,
    ) -> Result<Vec<Collection>, StoreError> {
        let items = self
            .query(Query {
                index: Some(index),
                partition: (key, value),
                sort_prefix: None,
                sort_below: None,
                limit,
                newest_first: false,
            })
            .await?;
        items
            .into_iter()
            .map(|item| from_record(ENTITY, item))
            .collect()
    }
}

/// A case as a review queue lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueEntry {
    pub collection_id: CollectionId,
    pub student_number: String,
    pub submitted_at: Option<OffsetDateTime>,
    /// The engine's doubts about the submitted photo.
    pub review_flags: usize,
    pub face_match: Option<FaceMatch>,
}

impl QueueEntry {
    /// The case's attributes a listing reads.
    const ATTRIBUTES: [&str; 6] = [
        "id",
        "student_number",
        "submitted_at",
        "submitted_attempt",
        "attempts",
        "face_match",
    ];
}

/// Those attributes as stored (the names and forms of [`Collection`]'s fields).
#[derive(Deserialize)]
struct Listed {
    id: CollectionId,
    student_number: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    submitted_at: Option<OffsetDateTime>,
    #[serde(default)]
    submitted_attempt: Option<AttemptId>,
    #[serde(default)]
    attempts: Vec<PhotoAttempt>,
    #[serde(default)]
    face_match: Option<FaceMatch>,
}

impl From<Listed> for QueueEntry {
    fn from(l: Listed) -> Self {
        let review_flags = l
            .attempts
            .iter()
            .find(|a| Some(a.id) == l.submitted_attempt)
            .map_or(0, |a| a.review_flags.len());
        Self {
            collection_id: l.id,
            student_number: l.student_number,
            submitted_at: l.submitted_at,
            review_flags,
            face_match: l.face_match,
        }
    }
}

/// The guard that keeps one case per enrollment, pointing at `collection`.
pub(crate) fn case_of_enrollment_item(collection: &Collection) -> Result<Item, StoreError> {
    record(
        "case_of_enrollment",
        keys::case_of_enrollment(collection.task_id, &collection.student_number),
        &CaseOfEnrollment {
            collection_id: collection.id,
            owner: collection.owner.clone(),
        },
    )
}
