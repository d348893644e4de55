//! Linking a verified student to their roster row, which opens their case (one per
//! enrollment). Three ways in: automatically by verified name and ID number, by the 学信网
//! image collection code plus the ID number's last four, or by session code plus 学号.
//! Wrong guesses count against the student's limit.

use base64::Engine;
use domain::{Actor, Collection, CollectionTask, Enrollment, SessionCode, VerifiedIdentity};
use lambda_http::http::StatusCode;
use serde::{Deserialize, Serialize};
use store::{Opened, StoreError};
use time::OffsetDateTime;

use crate::app::{App, Ctx, JSON_LIMIT, Reply};
use crate::error::{ApiError, ApiResult};
use crate::qr;
use crate::routes::limits::{self, Guesses};
use crate::routes::student::identity_required;
use crate::views::{CaseView, TaskSummary};

/// A QR screenshot, base64 in JSON: 3 MB of image at most.
const QR_LIMIT: usize = 4 * 1024 * 1024;

#[derive(Serialize)]
struct Linked {
    /// False when the student had linked this record before (linking is idempotent).
    created: bool,
    collection: CaseView,
}

/// `POST /v1/links/roster`: every open task whose roster lists the verified name and number.
pub async fn by_roster(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let (openid, identity) = verified(app, ctx).await?;
    if !ctx.body.is_empty() {
        let _: Empty = ctx.json(JSON_LIMIT)?;
    }
    let table = &app.store.table;
    let rows: Vec<Enrollment> = table
        .enrollments_by_id_number(&identity.id_number)
        .await?
        .into_iter()
        .filter(|e| e.name == identity.name)
        .collect();
    if rows.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_on_roster",
            "未在名单中找到您的信息，请使用图像采集码或场次编码关联",
            "You are not on any roster under this name and ID number; link with your collection code or session code instead",
        ));
    }
    // Rows that cannot be linked (a closed session, a record another account holds) are
    // reported beside the ones that were; only when none could be is the call refused.
    let mut linked = Vec::new();
    let mut skipped = Vec::new();
    let mut first_refusal = None;
    for row in &rows {
        let task = table.task(row.task_id).await?;
        match open_case(app, ctx, &openid, &task, row).await {
            Ok(link) => linked.push(link),
            Err(e) if e.status.is_client_error() => {
                skipped.push(Skipped {
                    task: (&task).into(),
                    code: e.code,
                    message_zh: e.message_zh.clone(),
                    message_en: e.message_en.clone(),
                });
                first_refusal.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    match first_refusal {
        Some(refusal) if linked.is_empty() => Err(refusal),
        _ => Reply::ok(serde_json::json!({ "collections": linked, "skipped": skipped })),
    }
}

/// A roster row the automatic link could not use, and why.
#[derive(Serialize)]
struct Skipped {
    task: TaskSummary,
    code: &'static str,
    message_zh: std::borrow::Cow<'static, str>,
    message_en: std::borrow::Cow<'static, str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChsiCodeBody {
    /// The code as text (what the QR says).
    #[serde(default)]
    code: Option<String>,
    /// Or a screenshot of the QR, base64-encoded JPEG or PNG.
    #[serde(default)]
    qr_image: Option<String>,
    id_last4: String,
}

/// `POST /v1/links/chsi-code`: the 学信网 image collection code and the ID number's last four.
pub async fn by_chsi_code(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let (openid, identity) = verified(app, ctx).await?;
    let body: ChsiCodeBody = ctx.json(QR_LIMIT)?;
    let text = match (body.code, body.qr_image) {
        (Some(code), None) => code,
        (None, Some(image)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(image.trim())
                .map_err(|_| {
                    ApiError::bad_request("二维码图片编码有误", "qr_image is not valid base64")
                })?;
            qr::decode(&bytes).map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "qr_unreadable",
                    "未能识别二维码，请上传清晰的二维码截图或直接输入采集码",
                    format!("{e}; upload a sharper screenshot or type the code"),
                )
            })?
        }
        _ => {
            return Err(ApiError::bad_request(
                "请提供采集码或二维码图片（二选一）",
                "Give either code or qr_image, not both or neither",
            ));
        }
    };
    let code = qr::code_from_text(&text);
    if domain::validate_chsi_code(code).is_err() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_chsi_code",
            "图像采集码格式有误",
            "The collection code is malformed",
        ));
    }
    let last4 = body.id_last4.trim().to_ascii_uppercase();
    if last4.len() != 4 || !last4.bytes().all(|b| b.is_ascii_digit() || b == b'X') {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_id_last4",
            "请输入身份证号码后四位",
            "id_last4 must be the last four characters of the ID number",
        ));
    }
    let table = &app.store.table;
    let guesses = Guesses::new(table, &limits::LINK, &openid, ctx.now);
    guesses.check().await?;
    let Some(row) = table.enrollment_by_chsi_code(code).await? else {
        guesses.record().await?;
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "chsi_code_not_found",
            "未找到此图像采集码，请核对后重新输入",
            "No record has this collection code; check it and try again",
        ));
    };
    if row.id_number.last_four() != last4 {
        guesses.record().await?;
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "id_last4_mismatch",
            "身份证号码后四位不正确",
            "The last four characters of the ID number do not match",
        ));
    }
    link_one(app, ctx, &openid, &identity, &row, &guesses).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionCodeBody {
    session_code: String,
    student_number: String,
}

/// `POST /v1/links/session-code`: the school's 8-digit session code and the student's 学号.
pub async fn by_session_code(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let (openid, identity) = verified(app, ctx).await?;
    let body: SessionCodeBody = ctx.json(JSON_LIMIT)?;
    let code = SessionCode::parse(&body.session_code)?;
    let student_number = domain::text::required("student_number", &body.student_number, 32)?;
    let table = &app.store.table;
    let guesses = Guesses::new(table, &limits::LINK, &openid, ctx.now);
    guesses.check().await?;
    let task = match table.task_by_session_code(&code).await {
        Ok(task) => task,
        Err(StoreError::NotFound { .. }) => {
            guesses.record().await?;
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "session_not_found",
                "未找到此采集场次，请核对场次编码",
                "No collection session has this code; check it and try again",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let row = match table.enrollment(task.id, &student_number).await {
        Ok(row) => row,
        Err(StoreError::NotFound { .. }) => {
            guesses.record().await?;
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "student_not_found",
                "本场次名单中没有此学号，请核对后重新输入",
                "This session's roster has no such student number",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    link_one(app, ctx, &openid, &identity, &row, &guesses).await
}

/// The verified student, or 403: a case is only ever opened for someone whose identity the
/// provider confirmed, because the reviewer compares the photo with their ID card.
async fn verified(app: &App, ctx: &Ctx<'_>) -> ApiResult<(String, VerifiedIdentity)> {
    let openid = ctx.student()?;
    let identity = app
        .store
        .table
        .student(openid)
        .await?
        .and_then(|s| s.identity)
        .ok_or_else(identity_required)?;
    Ok((openid.to_owned(), identity))
}

/// Links one row found by a code: it must carry the verified name, or it is someone else's.
async fn link_one(
    app: &App,
    ctx: &Ctx<'_>,
    openid: &str,
    identity: &VerifiedIdentity,
    row: &Enrollment,
    guesses: &Guesses<'_>,
) -> ApiResult<Reply> {
    if row.name != identity.name {
        guesses.record().await?;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_your_record",
            "此学籍信息与您的实名信息不一致",
            "This record does not match your verified identity",
        ));
    }
    let task = app.store.table.task(row.task_id).await?;
    let linked = open_case(app, ctx, openid, &task, row).await?;
    if linked.created {
        Reply::created(linked)
    } else {
        Reply::ok(linked)
    }
}

/// Students link, and upload, only while the task's session is open.
pub fn session_open(task: &CollectionTask, now: OffsetDateTime) -> ApiResult<()> {
    if now < task.opens_at {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "session_not_open",
            format!("采集尚未开始，开始时间：{}", task.opens_at.date()),
            format!("The collection session opens on {}", task.opens_at.date()),
        ));
    }
    if !task.is_open(now) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "session_closed",
            format!("采集已于 {} 结束，请联系学校", task.closes_at.date()),
            format!(
                "The collection session closed on {}; contact your school",
                task.closes_at.date()
            ),
        ));
    }
    Ok(())
}

/// Opens the case of `row` for `openid`, or finds the one they opened before.
async fn open_case(
    app: &App,
    ctx: &Ctx<'_>,
    openid: &str,
    task: &CollectionTask,
    row: &Enrollment,
) -> ApiResult<Linked> {
    session_open(task, ctx.now)?;
    let table = &app.store.table;
    let (case, created) = Collection::open(
        task.id,
        row.student_number.clone(),
        openid.to_owned(),
        Actor::Student(openid.to_owned()),
        ctx.now,
    );
    let case = match table.open_collection(&case, &created).await? {
        Opened::Created => {
            return Ok(Linked {
                created: true,
                collection: CaseView::new(&case, task, row),
            });
        }
        Opened::Existing { id, owner } if owner == openid => table.collection(id).await?,
        Opened::Existing { .. } => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_linked",
                "此学籍已被其他微信账号关联，如有疑问请联系学校",
                "Another WeChat account has already linked this record; contact your school",
            ));
        }
    };
    Ok(Linked {
        created: false,
        collection: CaseView::new(&case, task, row),
    })
}
