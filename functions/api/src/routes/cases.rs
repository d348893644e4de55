//! A student's cases: reading them, starting photo attempts and submitting one for review.

use domain::{Actor, AttemptId, Collection, Command};
use serde::{Deserialize, Serialize};
use store::{Along, PortraitChecked, PresignedUpload, UploadKey};

use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply};

use crate::App;
use crate::routes::guards::{UploadRequest, session_open, visible_case};
use crate::views::CaseView;

async fn view(app: &App, case: &Collection) -> ApiResult<CaseView> {
    let table = &app.store.table;
    // Independent reads: in flight together, so the request waits for one round trip, not two.
    let (task, enrollment) = tokio::try_join!(
        table.task(case.task_id),
        table.enrollment(case.task_id, &case.student_number)
    )?;
    Ok(CaseView::new(case, &task, &enrollment))
}

/// `GET /v1/collections`: the student's own cases, newest first.
pub async fn list(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let mut cases = app.store.table.collections_of(ctx.student()?).await?;
    cases.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    let mut views = Vec::with_capacity(cases.len());
    for case in &cases {
        views.push(view(app, case).await?);
    }
    Reply::ok(serde_json::json!({ "collections": views }))
}

/// `GET /v1/collections/{id}`.
pub async fn get(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let case = visible_case(app, ctx).await?;
    Reply::ok(view(app, &case).await?)
}

/// `GET /v1/collections/{id}/events`: the audit trail, for operators, with the WeChat notices
/// sent about it (each names the event version it was about).
pub async fn events(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let case = visible_case(app, ctx).await?;
    let table = &app.store.table;
    let (events, notices) = tokio::try_join!(table.events(case.id), table.notices(case.id))?;
    Reply::ok(serde_json::json!({ "events": events, "notices": notices }))
}

#[derive(Serialize)]
struct AttemptStarted {
    attempt_id: String,
    upload: PresignedUpload,
}

/// `POST /v1/collections/{id}/attempts`: records a new attempt and returns where to upload
/// its photo. Refused unless the case is paid and not locked (the domain decides).
pub async fn start_attempt(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let openid = ctx.student()?;
    let body: UploadRequest = ctx.json(JSON_LIMIT)?;
    let image_type = body.validate()?;
    let case = visible_case(app, ctx).await?;
    let task = app.store.table.task(case.task_id).await?;
    session_open(&task, ctx.now)?;
    let attempt_id = AttemptId::new();
    app.store
        .table
        .transition(
            case.id,
            Command::StartAttempt { attempt_id },
            Actor::Student(openid.to_owned()),
            ctx.now,
        )
        .await?;
    // Presigned only once the attempt is recorded: a photo never arrives for an attempt the
    // processor cannot find.
    let upload = app
        .store
        .objects
        .presign_upload(
            UploadKey::Attempt {
                collection: case.id,
                attempt: attempt_id,
            },
            image_type,
            body.content_length,
        )
        .await?;
    Reply::created(AttemptStarted {
        attempt_id: attempt_id.to_string(),
        upload,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    attempt_id: String,
}

/// `POST /v1/collections/{id}/submit`: the student confirms a passed, standardised photo and
/// the case goes to review.
pub async fn submit(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let openid = ctx.student()?;
    let body: SubmitBody = ctx.json(JSON_LIMIT)?;
    let attempt_id: AttemptId = body
        .attempt_id
        .parse()
        .map_err(|_| ApiError::not_found("照片", "Attempt"))?;
    let case = visible_case(app, ctx).await?;
    let table = &app.store.table;
    // Decided now, from the descriptors the processor stored, and kept for the reviewer;
    // the portrait it was decided against is held with the submission, so the reviewer
    // compares the photo with the portrait the match was made with.
    let portrait = table.student(openid).await?.and_then(|s| s.portrait);
    let checked = table.checked(case.id, attempt_id).await?;
    let face_match = table
        .face_match(portrait.as_ref(), checked.as_ref())
        .await?;
    let matched = portrait.as_ref().and_then(PortraitChecked::of);
    let mut along = vec![Along::HoldPortrait {
        openid,
        portrait: portrait.map(|p| p.id),
        case: case.id,
    }];
    if let Some(matched) = &matched {
        along.push(Along::MatchedPortrait {
            attempt: attempt_id,
            portrait: matched,
        });
    }
    let transition = table
        .transition_along(
            case.id,
            Command::Submit {
                attempt_id,
                face_match: Some(face_match),
            },
            Actor::Student(openid.to_owned()),
            ctx.now,
            &along,
        )
        .await?;
    Reply::ok(view(app, &transition.next).await?)
}
