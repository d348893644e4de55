//! Retouching (修图): a reviewer sends a submitted photo to a retoucher with a note instead of
//! asking the student for a retake; a retoucher takes it from the queue under a lease, sees the
//! original and the standardised photo, and uploads a corrected 480×640 JPEG. The photo
//! processor checks it (file and geometry only) and sends the case back to review, where both
//! versions are shown. Every look is recorded as a reviewer's is.

use domain::collection::MAX_NOTE_CHARS;
use domain::{Collection, CollectionStatus, Command, Lease, ValidationError};
use serde::{Deserialize, Serialize};
use store::{ImageType, LeaseError, PresignedGet, RetouchedKey, Shelf, StoreError, UploadKey};
use time::OffsetDateTime;
use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply, Role};

use crate::decide::{Effect, decide};
use crate::errors;
use crate::queue::{LeaseView, case_id, live_leases};
use crate::{App, case};

/// The most cases one listing of the retouch queue returns.
const MAX_LISTED: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    note: String,
}

/// `POST /v1/review/cases/{id}/retouch`: the reviewer holding the case sends it to retouching,
/// saying what to correct.
pub async fn send(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let body: SendBody = ctx.json(JSON_LIMIT)?;
    let note = body.note.trim().to_owned();
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        return Err(ValidationError::new(
            "note",
            format!("must say what to correct, in 1 to {MAX_NOTE_CHARS} characters"),
        )
        .into());
    }
    let reviewer = ctx.principal()?.subject.clone();
    let command = Command::SendToRetouch { reviewer, note };
    decide(app, ctx, command, Effect::SentToRetouch).await
}

/// One case waiting for a retoucher.
#[derive(Debug, Serialize)]
struct Waiting {
    collection_id: String,
    task_id: String,
    school: String,
    note: String,
    #[serde(with = "time::serde::rfc3339")]
    asked_at: OffsetDateTime,
    lease: Option<LeaseView>,
}

/// `GET /v1/review/retouch/queue`: every case sent to retouching, oldest request first.
pub async fn queue(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let caller = &ctx.principal()?.subject;
    let table = &app.store.table;
    let mut waiting = Vec::new();
    for task in table.tasks().await? {
        let cases = table.retouch_queue(task.id, MAX_LISTED).await?;
        if cases.is_empty() {
            continue;
        }
        let leases = live_leases(app, task.id, ctx.now).await?;
        for case in cases {
            let Some(retouch) = &case.retouch else {
                continue;
            };
            let lease = leases.get(&case.id);
            waiting.push(Waiting {
                collection_id: case.id.to_string(),
                task_id: task.id.to_string(),
                school: task.school.clone(),
                note: retouch.note.clone(),
                asked_at: retouch.asked_at,
                lease: lease.map(|l| LeaseView::of(l, caller)),
            });
        }
    }
    waiting.sort_by_key(|w| w.asked_at);
    waiting.truncate(MAX_LISTED);
    Reply::ok(serde_json::json!({ "cases": waiting }))
}

/// The retoucher's workspace for one case.
#[derive(Debug, Serialize)]
struct Workspace {
    collection_id: String,
    status: CollectionStatus,
    note: String,
    reviewer: String,
    #[serde(with = "time::serde::rfc3339")]
    asked_at: OffsetDateTime,
    original: PresignedGet,
    standardised: PresignedGet,
    /// What the engine said of the last upload: refused with `problems`, or passed.
    last_check: Option<serde_json::Value>,
    lease: Option<LeaseView>,
}

/// `GET /v1/review/retouch/cases/{id}`: the note, the original and the standardised photo,
/// and the last check of an upload. A retoucher sees only cases in retouching.
pub async fn workspace(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let case = app.store.table.collection(case_id(ctx)?).await?;
    let lease = app
        .store
        .table
        .lease(case.id)
        .await?
        .filter(|l| l.is_live(ctx.now));
    show(app, ctx, &case, lease.as_ref()).await
}

/// `POST /v1/review/retouch/cases/{id}/claim`: takes the case for the lease's time.
pub async fn claim(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let retoucher = &ctx.principal()?.subject;
    let case = app.store.table.collection(case_id(ctx)?).await?;
    if case.status != CollectionStatus::Retouching {
        return Err(errors::not_in_retouching());
    }
    let lease = Lease::claim(case.id, case.task_id, retoucher, ctx.now);
    match app.store.table.take_lease(lease, ctx.now).await {
        Ok(lease) => show(app, ctx, &case, Some(&lease)).await,
        Err(LeaseError::Held { until }) => Err(errors::lease_held(until)),
        Err(LeaseError::Store(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadBody {
    content_length: u64,
}

/// `POST /v1/review/retouch/cases/{id}/upload`: where to PUT the corrected JPEG, for the
/// retoucher holding the case. The photo processor checks it; the workspace shows the result.
pub async fn upload(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let body: UploadBody = ctx.json(JSON_LIMIT)?;
    let retoucher = &ctx.principal()?.subject;
    let table = &app.store.table;
    let case = table.collection(case_id(ctx)?).await?;
    let (CollectionStatus::Retouching, Some(retouch)) = (case.status, &case.retouch) else {
        return Err(errors::not_in_retouching());
    };
    let held = table
        .lease(case.id)
        .await?
        .is_some_and(|l| l.is_held_by(retoucher, ctx.now));
    if !held {
        return Err(errors::lease_lost());
    }
    let key = UploadKey::Retouch {
        collection: case.id,
        attempt: retouch.attempt_id,
    };
    let upload = app
        .store
        .objects
        .presign_upload(key, ImageType::Jpeg, body.content_length)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(_) => ApiError::bad_request(
                "文件大小应在 1 字节到 15 MB 之间",
                "content_length must be 1 byte to 15 MB",
            ),
            other => other.into(),
        })?;
    Reply::ok(serde_json::json!({ "upload": upload }))
}

/// Shows `case` to a retoucher (or an operator), recording the look first.
async fn show(
    app: &App,
    ctx: &Ctx<'_>,
    case: &Collection,
    lease: Option<&Lease>,
) -> ApiResult<Reply> {
    let caller = ctx.principal()?;
    let Some(retouch) = &case.retouch else {
        return Err(errors::not_in_retouching());
    };
    if caller.role == Role::Retoucher && case.status != CollectionStatus::Retouching {
        return Err(errors::not_in_retouching());
    }
    let table = &app.store.table;
    let checked = table
        .checked(case.id, retouch.attempt_id)
        .await?
        .ok_or_else(|| ApiError::not_found("照片", "Photo"))?;
    case::record_look(app, ctx, case.id).await?;
    let objects = &app.store.objects;
    let last_check = objects
        .read_photo_object(&RetouchedKey::check_key(case.id, retouch.attempt_id))
        .await?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    Reply::ok(Workspace {
        collection_id: case.id.to_string(),
        status: case.status,
        note: retouch.note.clone(),
        reviewer: retouch.reviewer.clone(),
        asked_at: retouch.asked_at,
        original: objects
            .presign_get(Shelf::Photos, &checked.original_key())
            .await?,
        standardised: objects
            .presign_get(Shelf::Photos, &checked.standardised_key())
            .await?,
        last_check,
        lease: lease.map(|l| LeaseView::of(l, &caller.subject)),
    })
}
