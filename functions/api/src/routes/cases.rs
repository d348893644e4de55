//! A student's cases: reading them, starting photo attempts, submitting one for review and
//! taking it back.

use domain::collection::REVIEW_PROMISE;
use domain::{Actor, AttemptId, AttemptStatus, Collection, CollectionStatus, Command, ReasonCode};
use serde::{Deserialize, Serialize};
use store::{
    Along, Checked, Digest, PortraitChecked, PresignedUpload, Shelf, StoreError, UpdateError,
    UploadKey,
};

use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply};

use crate::routes::guards::{UploadRequest, session_open, visible_case};
use crate::views::{CaseView, InReviewView, PointAt};
use crate::{App, errors};

pub(super) async fn view(app: &App, case: &Collection) -> ApiResult<CaseView> {
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

/// `GET /v1/collections/{id}`. Its owner also sees each passed photo as standardised (to see
/// what they confirm), where a case in review stands, and the approved photo to keep.
pub async fn get(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let case = visible_case(app, ctx).await?;
    let mut shown = view(app, &case).await?;
    let owner = ctx.principal()?.subject == case.owner;
    if owner {
        owners_view(app, &case, &mut shown).await?;
    }
    if let Some(print) = &mut shown.print {
        print.address = crate::routes::prints::address_for(app, &case, owner).await?;
    }
    Reply::ok(shown)
}

/// What only the case's owner is shown: links to their own photos, and their place in review.
async fn owners_view(app: &App, case: &Collection, shown: &mut CaseView) -> ApiResult<()> {
    let table = &app.store.table;
    let link = |key: String| async move {
        ApiResult::Ok(app.store.objects.presign_get(Shelf::Photos, &key).await?)
    };
    for (attempt, view) in case.attempts.iter().zip(&mut shown.attempts) {
        let Some(checked) = (match &attempt.status {
            AttemptStatus::Passed | AttemptStatus::Rejected { .. } => {
                table.checked(case.id, attempt.id).await?
            }
            _ => None,
        }) else {
            continue;
        };
        if let AttemptStatus::Rejected { reasons } = &attempt.status {
            view.point_at = point_at(app, &checked, reasons).await?;
            // The engine made a preview wherever it found a face, as it must have to
            // point at a part of it.
            if view.point_at.is_empty() {
                continue;
            }
        } else {
            view.standardised = Some(link(checked.standardised_key()).await?);
        }
        view.preview = Some(link(checked.preview_key()).await?);
    }
    if let (CollectionStatus::InReview, Some(submitted)) = (case.status, case.submitted_at) {
        shown.in_review = Some(InReviewView {
            queue_ahead: table.review_queue_ahead(case).await?,
            decision_due: submitted + REVIEW_PROMISE,
        });
    }
    if let (true, Some(review)) = (case.status.is_locked(), &case.review)
        && let Some(checked) = table.checked(case.id, review.attempt_id).await?
    {
        shown.approved_photo = Some(link(store::approved_photo_key(case, &checked)).await?);
    }
    Ok(())
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
    ctx.student()?;
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
            Actor::Student,
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
    /// The sha256 (hex) of the standardised photo the student was shown and confirms.
    standardised_sha256: String,
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
    // Only a passed photo has a standardised one to confirm; the state machine refuses others.
    if case
        .attempt(attempt_id)
        .is_some_and(|a| a.status == AttemptStatus::Passed)
    {
        confirmed(app, checked.as_ref(), &body.standardised_sha256).await?;
    }
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
            Actor::Student,
            ctx.now,
            &along,
        )
        .await?;
    Reply::ok(view(app, &transition.next).await?)
}

/// `POST /v1/collections/{id}/withdraw`: the student takes a submitted photo back while no
/// reviewer holds the case. The case awaits a photo again, paid; the photo stays passed and
/// may be submitted again; the ID card is the student's to replace again. The lease is checked
/// in the same write as the change, so a reviewer's claim and a withdrawal never both win.
pub async fn withdraw(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let openid = ctx.student()?;
    let case = visible_case(app, ctx).await?;
    let table = &app.store.table;
    let held = || async {
        let lease = table.lease(case.id).await?;
        ApiResult::Ok(lease.filter(|l| l.is_live(ctx.now)))
    };
    if let Some(lease) = held().await? {
        return Err(errors::held_by_reviewer(lease.until));
    }
    let along = [
        Along::NoLiveLease {
            case: case.id,
            now: ctx.now,
        },
        Along::ReleasePortrait {
            openid,
            case: case.id,
        },
    ];
    let withdrawn = table
        .transition_along(case.id, Command::Withdraw, Actor::Student, ctx.now, &along)
        .await;
    match withdrawn {
        Ok(transition) => Reply::ok(view(app, &transition.next).await?),
        // Claimed between the look and the write.
        Err(e @ UpdateError::Store(StoreError::Conflict { .. })) => match held().await? {
            Some(lease) => Err(errors::held_by_reviewer(lease.until)),
            None => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// Whether `sha256` is the digest of the standardised photo of `checked`, a passed photo's
/// evidence: the student confirms what they saw, and a photo they did not fetch (or other
/// bytes than those on record) is not confirmed.
async fn confirmed(app: &App, checked: Option<&Checked>, sha256: &str) -> ApiResult<()> {
    let shown = match checked {
        Some(checked) => app
            .store
            .objects
            .read_photo_object(&checked.standardised_key())
            .await?
            .map(|bytes| Digest::of(&bytes).to_string()),
        None => None,
    };
    if shown.as_deref() == Some(sha256.trim().to_ascii_lowercase().as_str()) {
        Ok(())
    } else {
        Err(errors::photo_not_confirmed())
    }
}

/// Where on a refused photo its reasons are, from the regions in the engine's report (a
/// reviewer's reason on a photo the engine passed points too: the report has the face).
async fn point_at(app: &App, checked: &Checked, reasons: &[ReasonCode]) -> ApiResult<Vec<PointAt>> {
    if reasons.iter().all(|r| r.region().is_none()) {
        return Ok(Vec::new());
    }
    let report: Option<serde_json::Value> = app
        .store
        .objects
        .read_photo_object(&checked.report_key())
        .await?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let Some(regions) = report.as_ref().map(|r| &r["regions"]) else {
        return Ok(Vec::new());
    };
    Ok(reasons
        .iter()
        .filter_map(|&code| {
            let region = code.region()?;
            let name = serde_json::to_value(region).ok()?;
            let areas = regions.get(name.as_str()?)?.clone();
            Some(PointAt {
                code,
                region,
                areas,
            })
        })
        .collect())
}
