//! Students' requests the operators decide (DESIGN §2): moving a verified identity and its
//! cases to a new WeChat account, linking a roster row whose ID number the school typed
//! wrong, and erasing a student's personal data (DESIGN §3). The operator checks who the
//! student is outside the service (the student quotes the request's number) and approves or
//! refuses with a reason; the request keeps the decision. An approved erasure is carried out
//! by the purger within the hour; operators follow it in `GET /v1/review/erasures`.

use domain::{IdNumber, mask_name};
use lambda_http::http::StatusCode;
use serde::{Deserialize, Serialize};
use store::{ApproveError, OperatorRequest, RequestDecision, RequestKind};
use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply};

use crate::App;

/// What an operator sees of a request: enough to match it with the student in front of them
/// (masked names and numbers), nothing more.
#[derive(Serialize)]
struct RequestView {
    #[serde(flatten)]
    request: OperatorRequest,
    /// The identity asked for (transfer) or the student's own (link).
    identity: Option<Masked>,
    /// The roster row asked for (link).
    row: Option<RowView>,
    /// The cases that would move with a transfer, or be erased.
    cases: usize,
    /// Why an erasure could not be carried out now, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    erasure_blocked: Option<domain::ErasureBlocked>,
}

#[derive(Serialize)]
struct Masked {
    name: String,
    id_number: String,
}

#[derive(Serialize)]
struct RowView {
    school: String,
    student_number: String,
    name: String,
    id_number: String,
    /// How many of the 18 characters differ from the student's verified number: one or two
    /// is a typo, many is another person.
    differing_characters: usize,
}

fn masked(name: &str, id_number: &IdNumber) -> Masked {
    Masked {
        name: mask_name(name),
        id_number: id_number.masked(),
    }
}

/// `GET /v1/review/requests`: pending requests, oldest first.
pub async fn pending(app: &App, _ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let requests = app.store.table.pending_requests().await?;
    let mut views = Vec::with_capacity(requests.len());
    for request in requests {
        views.push(view(app, request).await?);
    }
    Reply::ok(serde_json::json!({ "requests": views }))
}

async fn view(app: &App, request: OperatorRequest) -> ApiResult<RequestView> {
    let table = &app.store.table;
    let (owner, row) = match &request.kind {
        RequestKind::Transfer { from, .. } | RequestKind::Erasure { openid: from } => (from, None),
        RequestKind::Link {
            openid,
            task_id,
            student_number,
        } => {
            let (task, row) = futures_util::future::try_join(
                table.task(*task_id),
                table.enrollment(*task_id, student_number),
            )
            .await?;
            (openid, Some((task, row)))
        }
    };
    let identity = table.student(owner).await?.and_then(|s| s.identity);
    let (cases, erasure_blocked) = match &request.kind {
        RequestKind::Transfer { from, .. } => (table.collections_of(from).await?.len(), None),
        RequestKind::Erasure { openid } => {
            let cases = table.collections_of(openid).await?;
            let blocked = cases.iter().find_map(|c| c.erasable().err());
            (cases.len(), blocked)
        }
        RequestKind::Link { .. } => (0, None),
    };
    let row = row.map(|(task, row)| RowView {
        school: task.school,
        student_number: row.student_number,
        name: mask_name(&row.name),
        id_number: row.id_number.masked(),
        differing_characters: identity.as_ref().map_or(18, |i| {
            i.id_number
                .as_str()
                .chars()
                .zip(row.id_number.as_str().chars())
                .filter(|(a, b)| a != b)
                .count()
        }),
    });
    Ok(RequestView {
        identity: identity.map(|i| masked(&i.name, &i.id_number)),
        row,
        cases,
        erasure_blocked,
        request,
    })
}

/// `GET /v1/review/erasures`: approved erasures the purger has yet to carry out (with why
/// they wait, if they do), and those carried out, latest first. Neither names the student.
pub async fn erasures(app: &App, _ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let table = &app.store.table;
    let (running, done) =
        futures_util::future::try_join(table.erasures_to_run(), table.erasures_done()).await?;
    let anonymous = |requests: Vec<OperatorRequest>| -> Vec<OperatorRequest> {
        requests
            .into_iter()
            .map(|mut r| {
                r.kind = RequestKind::Erasure {
                    openid: String::new(),
                };
                r
            })
            .collect()
    };
    Reply::ok(serde_json::json!({
        "approved": anonymous(running),
        "done": anonymous(done),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    reason: String,
}

/// The request and the operator's decision on it, from the path and the body.
async fn decision(app: &App, ctx: &Ctx<'_>) -> ApiResult<(OperatorRequest, RequestDecision)> {
    let by = ctx.principal()?.subject.clone();
    let id = domain::text::required("request_id", ctx.param(0), 64)?;
    let body: DecisionBody = ctx.json(JSON_LIMIT)?;
    let reason = domain::text::required("reason", &body.reason, 200)?;
    let request = app.store.table.operator_request(&id).await?;
    Ok((
        request,
        RequestDecision {
            by,
            at: ctx.now,
            reason,
        },
    ))
}

/// `POST /v1/review/requests/{id}/approve`.
pub async fn approve(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let (request, decision) = decision(app, ctx).await?;
    let table = &app.store.table;
    let done = match &request.kind {
        RequestKind::Transfer { .. } => {
            let moved = table.approve_transfer(&request, decision).await;
            moved.map(|ids| serde_json::json!({ "moved_cases": ids }))
        }
        RequestKind::Link { .. } => {
            let case = table.approve_link(&request, decision).await;
            case.map(|c| serde_json::json!({ "collection_id": c.id }))
        }
        RequestKind::Erasure { .. } => {
            let approved = table.approve_erasure(&request, decision).await;
            approved.map(|_| serde_json::json!({}))
        }
    };
    let mut answer = done.map_err(refusal)?;
    answer["request_id"] = request.id.into();
    answer["status"] = "approved".into();
    Reply::ok(answer)
}

/// `POST /v1/review/requests/{id}/refuse`.
pub async fn refuse(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let (request, decision) = decision(app, ctx).await?;
    let refused = app.store.table.refuse_request(&request, decision).await;
    Reply::ok(refused.map_err(refusal)?)
}

fn refusal(e: ApproveError) -> ApiError {
    let conflict = |code, zh: &'static str, en: &'static str| {
        ApiError::new(StatusCode::CONFLICT, code, zh, en)
    };
    match e {
        ApproveError::Decided => conflict(
            "request_decided",
            "此申请已处理",
            "This request was decided already",
        ),
        ApproveError::NothingToTransfer => conflict(
            "nothing_to_transfer",
            "原账号已没有可转移的身份",
            "The old account no longer holds an identity to move",
        ),
        ApproveError::ReceiverNotEmpty => conflict(
            "receiver_not_empty",
            "新账号已有自己的身份或案件，不能接收转移",
            "The new account has an identity or a case of its own and cannot receive one",
        ),
        ApproveError::LinkGone => conflict(
            "link_not_possible",
            "该学籍已有案件，或申请人已不再是已核验账号",
            "The record has a case already, or the student's account is no longer verified",
        ),
        ApproveError::Case(refusal) => refusal.into(),
        ApproveError::Store(e) => e.into(),
    }
}
