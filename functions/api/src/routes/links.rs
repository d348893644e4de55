//! Linking a verified student to their roster row, which opens their case (one per
//! enrollment). Three ways in: automatically by verified name and ID number, by the 学信网
//! image collection code plus the ID number's last four, or by session code plus 学号.
//! Wrong guesses count against the student's limit.

use base64::Engine;
use domain::{
    Actor, Collection, CollectionTask, Enrollment, LastFour, SessionCode, VerifiedIdentity,
};
use serde::{Deserialize, Serialize};
use store::{Opened, RequestKind, StoreError};

use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply};

use crate::routes::guards::{session_open, verified};
use crate::routes::limits::{self, Budget};
use crate::views::{CaseView, RequestView, TaskSummary};
use crate::{App, errors, qr};

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
        .filter(|e| e.belongs_to(&identity))
        .collect();
    if rows.is_empty() {
        return Err(errors::not_on_roster());
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
            qr::decode(&bytes).map_err(errors::qr_unreadable)?
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
        return Err(errors::invalid_chsi_code());
    }
    let last4 = LastFour::parse(&body.id_last4).ok_or_else(errors::invalid_id_last4)?;
    let table = &app.store.table;
    let guesses = Budget::new(table, &limits::LINK, &openid, ctx.now);
    guesses.reserve().await?;
    // An unknown code, other last four and another person's row get one answer: the row is
    // judged against the verified identity, and the typed digits only have to agree with it.
    let row = table
        .enrollment_by_chsi_code(code)
        .await?
        .filter(|row| row.id_number.ends_with_typed(&last4));
    link_one(app, ctx, &openid, &identity, row, &guesses).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionCodeBody {
    session_code: String,
    student_number: String,
}

/// A guess by session code and 学号 from a verified student, reserved before anything is
/// looked up: the session's task (if the code names one) and the row of the 学号 in it (if any).
struct SessionGuess {
    openid: String,
    identity: VerifiedIdentity,
    found: Option<(CollectionTask, Option<Enrollment>)>,
}

impl SessionGuess {
    /// The guess's place in the student's budget, to give back when it finds their row.
    fn budget<'a>(&'a self, app: &'a App, ctx: &Ctx<'_>) -> Budget<'a> {
        Budget::new(&app.store.table, &limits::LINK, &self.openid, ctx.now)
    }
}

async fn session_guess(app: &App, ctx: &Ctx<'_>) -> ApiResult<SessionGuess> {
    let (openid, identity) = verified(app, ctx).await?;
    let body: SessionCodeBody = ctx.json(JSON_LIMIT)?;
    let code = SessionCode::parse(&body.session_code)?;
    let student_number = domain::text::required("student_number", &body.student_number, 32)?;
    let table = &app.store.table;
    Budget::new(table, &limits::LINK, &openid, ctx.now)
        .reserve()
        .await?;
    let found = match table.task_by_session_code(&code).await {
        Ok(task) => match table.enrollment(task.id, &student_number).await {
            Ok(row) => Some((task, Some(row))),
            Err(StoreError::NotFound { .. }) => Some((task, None)),
            Err(e) => return Err(e.into()),
        },
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(SessionGuess {
        openid,
        identity,
        found,
    })
}

/// `POST /v1/links/session-code`: the school's 8-digit session code and the student's 学号.
pub async fn by_session_code(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let guess = session_guess(app, ctx).await?;
    let Some((_, row)) = &guess.found else {
        return Err(errors::session_not_found());
    };
    let guesses = guess.budget(app, ctx);
    let (openid, identity) = (&guess.openid, &guess.identity);
    link_one(app, ctx, openid, identity, row.clone(), &guesses).await
}

/// `POST /v1/links/confirmation-requests`: the row of the session code and 学号 bears the
/// student's verified name but another ID number (the school's typo): an operator is asked to
/// confirm it is theirs. A row that is theirs outright is linked at once; any other answer is
/// the code routes' one. Counts as a guess either way: it says that a row of that name exists.
pub async fn ask_confirmation(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let guess = session_guess(app, ctx).await?;
    let (openid, identity) = (&guess.openid, &guess.identity);
    let row = guess
        .found
        .clone()
        .and_then(|(task, row)| row.map(|row| (task, row)));
    let Some((task, row)) = row.filter(|(_, row)| row.name == identity.name) else {
        return Err(errors::no_matching_record());
    };
    if row.belongs_to(identity) {
        let guesses = guess.budget(app, ctx);
        return link_one(app, ctx, openid, identity, Some(row), &guesses).await;
    }
    session_open(&task, ctx.now)?;
    let table = &app.store.table;
    if table
        .case_of_enrollment(task.id, &row.student_number)
        .await?
        .is_some()
    {
        return Err(errors::already_linked());
    }
    let kind = RequestKind::Link {
        openid: openid.clone(),
        task_id: task.id,
        student_number: row.student_number,
    };
    let request = table.ask_operator(kind, ctx.now).await?;
    Reply::accepted(RequestView::of(&request))
}

/// Links one row found by a code: it must be the verified student's own (name and ID number),
/// or it is someone else's, whoever showed them the code. A row found gives its guess back.
async fn link_one(
    app: &App,
    ctx: &Ctx<'_>,
    openid: &str,
    identity: &VerifiedIdentity,
    row: Option<Enrollment>,
    guesses: &Budget<'_>,
) -> ApiResult<Reply> {
    let Some(row) = row.filter(|row| row.belongs_to(identity)) else {
        return Err(errors::no_matching_record());
    };
    guesses.give_back().await?;
    let task = app.store.table.task(row.task_id).await?;
    let linked = open_case(app, ctx, openid, &task, &row).await?;
    if linked.created {
        Reply::created(linked)
    } else {
        Reply::ok(linked)
    }
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
        Actor::Student,
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
            return Err(errors::already_linked());
        }
    };
    Ok(Linked {
        created: false,
        collection: CaseView::new(&case, task, row),
    })
}
