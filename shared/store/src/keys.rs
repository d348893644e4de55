//! The single-table key scheme (DESIGN §3). Every item has `pk`, `sk` and an `entity` name;
//! work queues go to the sparse index `gsi1`, look-ups to `gsi2`.
//!
//! | item                | pk                          | sk                  | gsi1 (queues)                    | gsi2 (look-ups)                 |
//! |---------------------|-----------------------------|---------------------|----------------------------------|---------------------------------|
//! | task                | `TASK#<task>`               | `TASK`              | `TASKS`                          |                                 |
//! | session code → task | `SESSION#<code>`            | `SESSION`           |                                  |                                 |
//! | enrollment          | `TASK#<task>`               | `ENROLLMENT#<no>`   |                                  | `IDNO#<blind index>` / `TASK#…` |
//! | collection          | `COLLECTION#<id>`           | `COLLECTION`        | `REVIEW#<task>`, `PUBLISH#<task>` | `OWNER#<openid>` / `COLLECTION#<id>` |
//! | audit event         | `COLLECTION#<id>`           | `EVENT#<version>`   |                                  |                                 |
//! | notice to the student | `COLLECTION#<id>`         | `NOTICE#<version>`  |                                  |                                 |
//! | one case per enrollment | `TASK#<task>`           | `CASE#<no>`         |                                  |                                 |
//! | CHSI code → enrollment | `CHSICODE#<blind index>` | `CHSICODE`          |                                  |                                 |
//! | student             | `STUDENT#<openid>`          | `STUDENT`           |                                  | `IDNO#<blind index>` / `STUDENT#…` |
//! | idempotency record  | `IDEMPOTENCY#<scope>#<key>` | `IDEMPOTENCY`       | (TTL)                            |                                 |
//! | webhook nonce       | `NONCE#<scope>#<nonce>`     | `NONCE`             | (TTL)                            |                                 |
//! | failure counter     | `FAILURES#<scope>#<key>`    | `WINDOW#<start>`    | (TTL)                            |                                 |
//! | portrait → student  | `PORTRAIT#<portrait>`       | `PORTRAIT`          |                                  |                                 |
//! | face descriptor     | `FACE#<attempt or portrait>` | `FACE`             |                                  |                                 |
//! | payment order       | `ORDER#<out_trade_no>`      | `ORDER`             | `ORDERS#OPEN` while unpaid       |                                 |
//! | case → its order    | `COLLECTION#<id>`           | `ORDER`             |                                  |                                 |
//! | refund              | `REFUND#<out_refund_no>`    | `REFUND`            | `REFUNDS#PENDING` until settled  |                                 |
//! | payment anomaly     | `ANOMALY#<ulid>`            | `ANOMALY`           | `ANOMALIES`                      |                                 |
//! | publish batch       | `BATCH#<id>`                | `BATCH`             | `BATCHES#OPEN` until closed      |                                 |
//! | case opened by staff | `ACCESS#COLLECTION#<id>`   | `<ms>#<subject>#…` |                                  |                                 |
//! | … the same, by staff | `ACCESS#STAFF#<subject>`   | `<ms>#<case>#…`   |                                  |                                 |
//! | request to operators | `REQUEST#<id>`             | `REQUEST`           | `REQUESTS#PENDING` while pending |                                 |
//! | revoked staff       | `REVOKED#<subject>`         | `REVOKED`           |                                  |                                 |
//! | consent to a notice | `STUDENT#<openid>`          | `CONSENT#<version>` |                                  |                                 |
//! | postal address (sealed) | `ADDRESS#<id>`          | `ADDRESS`           |                                  |                                 |
//! | purged kinds of a case | `PURGED#<id>`            | `PURGED`            |                                  |                                 |
//! | purge run (counts)  | `PURGELOG`                  | `<ns since epoch>`  |                                  |                                 |
//! | print batch         | `PRINTBATCH#<id>`           | `PRINTBATCH`        | `PRINTBATCHES#<task>`            |                                 |
//!
//! Cases with printed photos still to deliver are also in the sparse index `gsi3`, under
//! `PRINT#<task>#<stage>` (ordered, printed, shipped), oldest first.

use domain::{
    AttemptId, BatchId, CollectionId, CollectionStatus, PortraitId, PrintBatchId, PrintStage,
    TaskId,
};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const GSI2: &str = "gsi2";
pub const GSI2_PK: &str = "gsi2pk";
pub const GSI2_SK: &str = "gsi2sk";
pub const GSI3: &str = "gsi3";
pub const GSI3_PK: &str = "gsi3pk";
pub const GSI3_SK: &str = "gsi3sk";
pub const VERSION: &str = "version";
pub const ENTITY: &str = "entity";
/// Epoch seconds after which DynamoDB's TTL may delete the item (it can take up to two days,
/// so conditions treat an expired item as absent themselves).
pub const EXPIRES_AT: &str = "expires_at";

pub fn task(task: TaskId) -> (String, String) {
    (format!("TASK#{task}"), "TASK".into())
}

/// The `gsi1` partition listing every task.
pub const TASK_LIST: &str = "TASKS";

/// Session codes are unique: the pointer item is written with the task in one transaction.
pub fn session_code(code: &str) -> (String, String) {
    (format!("SESSION#{code}"), "SESSION".into())
}

pub fn enrollment(task: TaskId, student_number: &str) -> (String, String) {
    (
        format!("TASK#{task}"),
        format!("ENROLLMENT#{student_number}"),
    )
}

pub const ENROLLMENT_PREFIX: &str = "ENROLLMENT#";

/// An enrollment's sort key in `gsi2`, under the blind index of its ID number.
pub fn enrollment_in_index(task: TaskId, student_number: &str) -> String {
    format!("ENROLLMENT#{task}#{student_number}")
}

/// A student's sort key in `gsi2`, under the blind index of the verified ID number.
pub const STUDENT_IN_INDEX: &str = "STUDENT";

/// The guard that makes "one collection per enrollment" a database fact, not a hope.
pub fn case_of_enrollment(task: TaskId, student_number: &str) -> (String, String) {
    (format!("TASK#{task}"), format!("CASE#{student_number}"))
}

pub const CASE_PREFIX: &str = "CASE#";

/// 学信网图像采集码 → enrollment. Keyed by a blind index: the code identifies one student.
pub fn chsi_code(blind_index: &str) -> (String, String) {
    (format!("CHSICODE#{blind_index}"), "CHSICODE".into())
}

pub fn id_number_index(blind_index: &str) -> String {
    format!("IDNO#{blind_index}")
}

pub fn collection(id: CollectionId) -> (String, String) {
    (format!("COLLECTION#{id}"), "COLLECTION".into())
}

pub fn event(id: CollectionId, version: u64) -> (String, String) {
    // Zero-padded so the audit trail reads in order from a plain sort-key query.
    (format!("COLLECTION#{id}"), format!("EVENT#{version:010}"))
}

pub const EVENT_PREFIX: &str = "EVENT#";

/// What the student was told about the event of `version`: beside the event, same padding.
pub fn notice(id: CollectionId, version: u64) -> (String, String) {
    (format!("COLLECTION#{id}"), format!("NOTICE#{version:010}"))
}

pub const NOTICE_PREFIX: &str = "NOTICE#";

pub fn owner(openid: &str) -> String {
    format!("OWNER#{openid}")
}

/// A case's sort key in `gsi2`, under its owner.
pub fn owned_collection(id: CollectionId) -> String {
    format!("COLLECTION#{id}")
}

/// The work queue a case is in, if any: reviewers take `InReview` cases oldest first,
/// retouchers `Retouching` ones, the publisher `Approved` ones. Other states leave the sparse
/// index.
pub fn queue(task: TaskId, status: CollectionStatus) -> Option<String> {
    match status {
        CollectionStatus::InReview => Some(review_queue(task)),
        CollectionStatus::Retouching => Some(retouch_queue(task)),
        CollectionStatus::Approved => Some(publish_queue(task)),
        _ => None,
    }
}

/// A reviewer's lease on a case: in a partition of its own, so that the right to delete a
/// lease (`dynamodb:LeadingKeys` `LEASE#*`) is no right to delete the case's audit events.
pub fn lease(id: CollectionId) -> (String, String) {
    (format!("LEASE#{id}"), "LEASE".into())
}

/// One reviewer's decisions on one day.
pub fn review_tally(day: time::Date, reviewer: &str) -> (String, String) {
    (format!("REVIEWS#{day}"), format!("REVIEWER#{reviewer}"))
}

/// The leases of a task's cases, in `gsi1`.
pub fn leases_of_task(task: TaskId) -> String {
    format!("LEASES#{task}")
}

pub fn review_queue(task: TaskId) -> String {
    format!("REVIEW#{task}")
}

pub fn retouch_queue(task: TaskId) -> String {
    format!("RETOUCH#{task}")
}

pub fn publish_queue(task: TaskId) -> String {
    format!("PUBLISH#{task}")
}

pub fn student(openid: &str) -> (String, String) {
    (format!("STUDENT#{openid}"), "STUDENT".into())
}

/// A student's consent to one version of the privacy notice: beside the student, written
/// once, never changed.
pub fn consent(openid: &str, notice_version: &str) -> (String, String) {
    (
        format!("STUDENT#{openid}"),
        format!("{CONSENT_PREFIX}{notice_version}"),
    )
}

pub const CONSENT_PREFIX: &str = "CONSENT#";

pub fn portrait(portrait: PortraitId) -> (String, String) {
    (format!("PORTRAIT#{portrait}"), "PORTRAIT".into())
}

/// The digest of what the verdict on an attempt was made from (see `evidence`).
pub fn evidence(attempt: AttemptId) -> (String, String) {
    (format!("EVIDENCE#{attempt}"), "EVIDENCE".into())
}

/// A staff member whose tokens are withdrawn.
pub fn revoked(subject: &str) -> (String, String) {
    (format!("REVOKED#{subject}"), "REVOKED".into())
}

/// The portrait the face match of a submitted attempt was computed against.
pub fn matched_portrait(attempt: AttemptId) -> (String, String) {
    (format!("EVIDENCE#{attempt}"), "PORTRAIT".into())
}

/// What one checked upload of an ID-card portrait says (`<portrait id>#<digest>`).
pub fn card_text(owner: impl std::fmt::Display) -> (String, String) {
    (format!("CARD#{owner}"), "CARD".into())
}

/// Attempt and portrait ids are ULIDs, unique across both kinds.
pub fn face(owner: impl std::fmt::Display) -> (String, String) {
    (format!("FACE#{owner}"), "FACE".into())
}

/// `scope` names a route or consumer and never contains `#` (checked by the store), so no two
/// (scope, key) pairs share an item.
pub fn idempotency(scope: &str, key: &str) -> (String, String) {
    (format!("IDEMPOTENCY#{scope}#{key}"), "IDEMPOTENCY".into())
}

pub fn nonce(scope: &str, nonce: &str) -> (String, String) {
    (format!("NONCE#{scope}#{nonce}"), "NONCE".into())
}

/// One fixed window of a counter (guesses while linking a record, identity checks).
pub fn counter(scope: &str, key: &str, window_start: i64) -> (String, String) {
    (
        format!("COUNTER#{scope}#{key}"),
        format!("WINDOW#{window_start}"),
    )
}

/// A name and ID number the identity provider said do not belong together, keyed by a blind
/// index of the pair.
pub fn refuted_pair(blind_index: &str) -> (String, String) {
    (format!("IDCHECK#{blind_index}"), "REFUTED".into())
}

/// Which account holds a verified identity, keyed by the ID number's blind index.
pub fn identity_owner(blind_index: &str) -> (String, String) {
    (format!("IDENTITY#{blind_index}"), "OWNER".into())
}

pub fn order(order_no: &str) -> (String, String) {
    (format!("ORDER#{order_no}"), "ORDER".into())
}

/// The case's current order: one pointer per case, so two payment requests at once cannot
/// both place an order.
pub fn order_of_case(id: CollectionId) -> (String, String) {
    (collection(id).0, "ORDER".into())
}

/// Orders not paid yet, oldest first, for the reconciler.
pub const OPEN_ORDERS: &str = "ORDERS#OPEN";

pub fn refund(refund_no: &str) -> (String, String) {
    (format!("REFUND#{refund_no}"), "REFUND".into())
}

/// Refunds WeChat Pay has not settled yet, oldest first, for the reconciler.
pub const PENDING_REFUNDS: &str = "REFUNDS#PENDING";

/// One anomaly per kind and reference (order or refund number): reported again, or asked
/// about again by the reconciler, it is the same one.
pub fn anomaly(kind: &str, reference: &str) -> (String, String) {
    (format!("ANOMALY#{kind}#{reference}"), "ANOMALY".into())
}

/// Payment anomalies, newest last, for operators.
pub const ANOMALIES: &str = "ANOMALIES";

/// The sealed postal address printed photos go to, deleted on delivery: in a partition of its
/// own, as leases are, so that deleting it is no right to delete anything of the case.
pub fn address(id: CollectionId) -> (String, String) {
    (format!("ADDRESS#{id}"), "ADDRESS".into())
}

/// Cases of a task whose prints are at `stage` (never `Delivered`: done, out of the index).
pub fn print_queue(task: TaskId, stage: PrintStage) -> String {
    format!("PRINT#{task}#{}", stage.as_str())
}

pub fn print_batch(id: PrintBatchId) -> (String, String) {
    (format!("PRINTBATCH#{id}"), "PRINTBATCH".into())
}

/// Which kinds of a case's data the purge has deleted: beside the case's partition, apart
/// from its events.
pub fn purged(id: CollectionId) -> (String, String) {
    (format!("PURGED#{id}"), "PURGED".into())
}

/// One run of the purge, by its time.
pub fn purge_log(at: time::OffsetDateTime) -> (String, String) {
    ("PURGELOG".into(), at.unix_timestamp_nanos().to_string())
}

/// The `gsi1` partition listing a task's print batches.
pub fn print_batches(task: TaskId) -> String {
    format!("PRINTBATCHES#{task}")
}

pub fn batch(id: BatchId) -> (String, String) {
    (format!("BATCH#{id}"), "BATCH".into())
}

/// Publish batches not closed yet (pending, sent or failed), oldest first, for the publisher.
pub const OPEN_BATCHES: &str = "BATCHES#OPEN";

/// The partition of the openings of case `id` by staff.
pub fn accesses_of_case(id: CollectionId) -> String {
    format!("ACCESS#COLLECTION#{id}")
}

/// The partition of the cases staff member `subject` opened.
pub fn accesses_by_staff(subject: &str) -> String {
    format!("ACCESS#STAFF#{subject}")
}

/// An opening's sort key: zero-padded milliseconds first, so a partition reads in time order,
/// then who or what, then a ULID, so two openings in one millisecond are two records.
pub fn access_at(at: time::OffsetDateTime, who_or_what: &str) -> String {
    let millis = at.unix_timestamp_nanos() / 1_000_000;
    format!("{millis:015}#{who_or_what}#{}", ulid::Ulid::new())
}

/// A student's request to the operators (`id` derives from what it asks).
pub fn operator_request(id: &str) -> (String, String) {
    (format!("REQUEST#{id}"), "REQUEST".into())
}

/// An attempt the photo processor took up and has not decided (see `processing`): in a
/// partition of its own, so deleting it is no right to delete anything of the case.
pub fn processing(attempt: AttemptId) -> (String, String) {
    (format!("PROCESSING#{attempt}"), "PROCESSING".into())
}

/// The `gsi1` partition of attempts being processed, oldest first.
pub const PROCESSING: &str = "ATTEMPTS#PROCESSING";

/// The `gsi1` partition of requests waiting for an operator.
pub const PENDING_REQUESTS: &str = "REQUESTS#PENDING";

/// The `gsi1` partition of approved erasures, waiting for the purger.
pub const APPROVED_ERASURES: &str = "ERASURES#APPROVED";

/// The `gsi1` partition of erasures carried out, by when.
pub const DONE_ERASURES: &str = "ERASURES#DONE";

/// The erasure a student asked for and that is not carried out yet: beside the student, so
/// that asking twice is one request and the erasure of the student's partition ends it.
pub fn erasure_of_student(openid: &str) -> (String, String) {
    (format!("STUDENT#{openid}"), "ERASURE".into())
}
