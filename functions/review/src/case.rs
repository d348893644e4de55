//! What a reviewer sees of one case: the original upload, the standardised photo and the
//! ID-card portrait (short-lived presigned GETs), the check report, the engine's review flags
//! and the face match.

use domain::{
    CardCheck, CardText, Collection, CollectionId, CollectionStatus, FaceMatch, Lease,
    PhotoAttempt, ReasonCode, ReviewDecision, VerifiedIdentity, mask_name,
};
use serde::Serialize;
use store::{Access, PortraitChecked, PresignedGet, RetouchedKey, Shelf};
use time::OffsetDateTime;
use web::{ApiResult, Ctx, ReasonView, Reply, Role};

use crate::queue::{LeaseView, case_id};
use crate::{App, errors};

#[derive(Debug, Serialize)]
pub struct ReviewCase {
    pub collection_id: String,
    pub task_id: String,
    pub status: domain::CollectionStatus,
    pub version: u64,
    pub student: StudentView,
    pub attempt_id: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub submitted_at: Option<OffsetDateTime>,
    pub photos: Photos,
    /// The engine's check report for the submitted photo, as the processor wrote it.
    pub report: Option<serde_json::Value>,
    /// Checks the engine could not decide reliably.
    pub review_flags: Vec<ReasonView>,
    pub face_match: Option<FaceMatch>,
    /// What the ID card the face was matched against says, against the verified identity.
    pub id_card: Option<IdCardView>,
    /// The request to retouch the submitted photo and, once back, who retouched it.
    pub retouch: Option<domain::Retouch>,
    pub lease: Option<LeaseView>,
    pub last_decision: Option<ReviewDecision>,
}

/// Who the case is for, masked: a reviewer compares faces, not names.
#[derive(Debug, Serialize)]
pub struct StudentView {
    pub student_number: String,
    pub name: String,
    pub school: String,
    pub education_level_zh: &'static str,
    pub major: String,
}

/// The card's reading, masked: the reviewer sees whether it is the verified identity.
#[derive(Debug, Serialize)]
pub struct IdCardView {
    /// `matches`, or the flag `id_card_mismatch` / `id_card_unread`.
    pub check: CardCheck,
    pub message_zh: &'static str,
    pub message_en: &'static str,
    pub name: Option<String>,
    pub id_number: Option<String>,
}

impl IdCardView {
    fn of(text: &CardText, identity: Option<&VerifiedIdentity>) -> Self {
        // A case exists only for a verified student; without one, nothing matches.
        let check = identity.map_or(CardCheck::Mismatch, |i| text.check_identity(i));
        let (name, id_number) = text.masked();
        Self {
            check,
            message_zh: check.message_zh(),
            message_en: check.message_en(),
            name,
            id_number,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Photos {
    pub original: Option<PresignedGet>,
    pub standardised: Option<PresignedGet>,
    pub id_card: Option<PresignedGet>,
    /// The retoucher's correction of the standardised photo, when a reviewer asked for one:
    /// shown beside it, and what is published if approved.
    pub retouched: Option<PresignedGet>,
}

/// The attempt under review (or last submitted).
pub fn submitted(case: &Collection) -> Option<&PhotoAttempt> {
    case.submitted_attempt
        .or_else(|| case.review.as_ref().map(|r| r.attempt_id))
        .and_then(|id| case.attempt(id))
}

pub fn verdict_name(face: &FaceMatch) -> &'static str {
    match face {
        FaceMatch::Same { .. } => "same",
        FaceMatch::Different { .. } => "different",
        FaceMatch::Uncertain { .. } => "uncertain",
        FaceMatch::Unavailable { .. } => "unavailable",
    }
}

pub fn hours_between(from: OffsetDateTime, to: OffsetDateTime) -> f64 {
    let hours = (to - from).as_seconds_f64() / 3600.0;
    (hours * 10.0).round() / 10.0
}

/// Builds the reviewer's view of `case`.
pub async fn view(
    app: &App,
    case: &Collection,
    lease: Option<&Lease>,
    caller: &str,
) -> ApiResult<ReviewCase> {
    let table = &app.store.table;
    let (task, enrollment, student) = futures_util::future::try_join3(
        table.task(case.task_id),
        table.enrollment(case.task_id, &case.student_number),
        table.student(&case.owner),
    )
    .await?;
    let attempt = submitted(case);
    let objects = &app.store.objects;
    let mut photos = Photos {
        original: None,
        standardised: None,
        id_card: None,
        retouched: None,
    };
    let mut report = None;
    // What the verdict was made from, never what sits at the upload key now: a presigned
    // upload can be replayed after the check.
    let checked = match attempt {
        Some(attempt) => table.checked(case.id, attempt.id).await?,
        None => None,
    };
    if let Some(checked) = checked {
        photos.original = Some(
            objects
                .presign_get(Shelf::Photos, &checked.original_key())
                .await?,
        );
        photos.standardised = Some(
            objects
                .presign_get(Shelf::Photos, &checked.standardised_key())
                .await?,
        );
        report = objects
            .read_photo_object(&checked.report_key())
            .await?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    }
    if let Some(retouched) =
        RetouchedKey::of(case).filter(|r| Some(r.attempt) == attempt.map(|a| a.id))
    {
        photos.retouched = Some(
            objects
                .presign_get(Shelf::Photos, &retouched.photo_key())
                .await?,
        );
    }
    // The portrait the face match was computed against (recorded with the submission); a
    // case without one shows the student's portrait as the processor decided on it.
    let matched = match attempt {
        Some(attempt) => table.matched_portrait(attempt.id).await?,
        None => None,
    };
    let identity = student.as_ref().and_then(|s| s.identity.as_ref());
    let id_card = matched.or_else(|| {
        student
            .as_ref()
            .and_then(|s| s.portrait.as_ref())
            .and_then(PortraitChecked::of)
    });
    let mut card = None;
    if let Some(id_card) = id_card {
        photos.id_card = Some(
            objects
                .presign_get(Shelf::Photos, &id_card.copy_key())
                .await?,
        );
        card = table
            .card_text(&id_card)
            .await?
            .map(|text| IdCardView::of(&text, identity));
    }
    Ok(ReviewCase {
        collection_id: case.id.to_string(),
        task_id: case.task_id.to_string(),
        status: case.status,
        version: case.version,
        student: StudentView {
            student_number: case.student_number.clone(),
            name: mask_name(&enrollment.name),
            school: task.school.clone(),
            education_level_zh: task.education_level.name_zh(),
            major: enrollment.major.clone(),
        },
        attempt_id: attempt.map(|a| a.id.to_string()),
        submitted_at: case.submitted_at,
        photos,
        report,
        review_flags: attempt
            .map(|a| {
                a.review_flags
                    .iter()
                    .copied()
                    .map(ReasonView::from)
                    .collect()
            })
            .unwrap_or_default(),
        face_match: case.face_match,
        id_card: card,
        retouch: case.retouch.clone(),
        lease: lease.map(|l| LeaseView::of(l, caller)),
        last_decision: case.review.clone(),
    })
}

/// Shows `case` to the caller, recording first that they were shown it: no look at a
/// student's photos goes unrecorded.
pub async fn reply(
    app: &App,
    ctx: &Ctx<'_>,
    case: &Collection,
    lease: Option<&Lease>,
) -> ApiResult<Reply> {
    record_look(app, ctx, case.id).await?;
    let caller = ctx.principal()?;
    Reply::ok(view(app, case, lease, &caller.subject).await?)
}

/// Records that the caller was shown `case`'s photos (or its address): no look goes
/// unrecorded.
pub async fn record_look(app: &App, ctx: &Ctx<'_>, case: CollectionId) -> ApiResult<()> {
    let caller = ctx.principal()?;
    app.store
        .table
        .record_access(&Access {
            collection_id: case,
            subject: caller.subject.clone(),
            role: caller.role.as_str().to_owned(),
            at: ctx.now,
        })
        .await?;
    Ok(())
}

/// `GET /v1/review/cases/{id}`. Reviewers open only what they may decide: a case in review,
/// or the one they hold; operators open any.
pub async fn get(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let caller = ctx.principal()?;
    let id = case_id(ctx)?;
    let table = &app.store.table;
    let (case, lease) =
        futures_util::future::try_join(table.collection(id), table.lease(id)).await?;
    let lease = lease.filter(|l| l.is_live(ctx.now));
    let holds = lease.as_ref().is_some_and(|l| l.reviewer == caller.subject);
    if caller.role == Role::Reviewer && case.status != CollectionStatus::InReview && !holds {
        return Err(errors::closed_to_reviewers());
    }
    reply(app, ctx, &case, lease.as_ref()).await
}

/// `GET /v1/review/cases/{id}/accesses`: who opened the case, newest first (operators).
pub async fn accesses(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let id = case_id(ctx)?;
    let accesses = app.store.table.accesses_of_case(id).await?;
    Reply::ok(serde_json::json!({ "accesses": accesses }))
}

/// `GET /v1/review/reasons`: the codes a reviewer may reject with, in the engine's words.
pub fn reasons() -> ApiResult<Reply> {
    let reasons: Vec<ReasonView> = ReasonCode::ALL
        .into_iter()
        // Decided from the file before any processing, or not about the photo at all.
        .filter(ReasonCode::is_reviewers_call)
        .map(ReasonView::from)
        .collect();
    Reply::ok(serde_json::json!({ "reasons": reasons }))
}
