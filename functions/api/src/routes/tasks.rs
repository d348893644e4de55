//! Operators' routes on collection tasks: open one, list them, and follow progress.

use std::collections::{BTreeMap, HashSet};

use domain::china;
use domain::{
    Background, CollectionStatus, CollectionTask, EducationLevel, NewTask, PhotoProfile,
    PrintOffer, SessionCode, TaskId, mask_name,
};
use serde::{Deserialize, Serialize};
use store::StoreError;
use time::OffsetDateTime;

use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply};

use crate::roster::{self, RosterError};
use crate::{App, errors};

pub fn task_id(ctx: &Ctx<'_>) -> ApiResult<TaskId> {
    ctx.param(0)
        .parse()
        .map_err(|_| ApiError::not_found("采集任务", "Task"))
}

pub async fn load_task(app: &App, ctx: &Ctx<'_>) -> ApiResult<CollectionTask> {
    let id = task_id(ctx)?;
    app.store.table.task(id).await.map_err(|e| match e {
        StoreError::NotFound { .. } => ApiError::not_found("采集任务", "Task"),
        other => other.into(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTaskBody {
    session_code: String,
    school: String,
    education_level: EducationLevel,
    graduation_year: u16,
    fee_fen: u32,
    #[serde(default)]
    profile: Option<ProfileBody>,
    /// Printed photos offered with the collection, if any.
    #[serde(default)]
    print: Option<PrintBody>,
    #[serde(with = "time::serde::rfc3339")]
    opens_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    closes_at: OffsetDateTime,
}

/// The photo profile as an operator writes it (the stored type stays lenient for old records).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileBody {
    background: Background,
    min_kb: u32,
    max_kb: u32,
}

/// A print offer as an operator writes it; the size defaults to 小二寸 (33 × 48 mm).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrintBody {
    price_fen: u32,
    #[serde(default = "default_print_width")]
    width_mm: u16,
    #[serde(default = "default_print_height")]
    height_mm: u16,
}

fn default_print_width() -> u16 {
    33
}

fn default_print_height() -> u16 {
    48
}

/// `POST /v1/tasks`.
pub async fn create(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let body: CreateTaskBody = ctx.json(JSON_LIMIT)?;
    let task = CollectionTask::create(NewTask {
        session_code: SessionCode::parse(&body.session_code)?,
        school: body.school,
        education_level: body.education_level,
        graduation_year: body.graduation_year,
        fee_fen: body.fee_fen,
        profile: body
            .profile
            .map_or_else(PhotoProfile::default, |p| PhotoProfile {
                background: p.background,
                min_kb: p.min_kb,
                max_kb: p.max_kb,
            }),
        print: body.print.map(|p| PrintOffer {
            price_fen: p.price_fen,
            width_mm: p.width_mm,
            height_mm: p.height_mm,
        }),
        opens_at: body.opens_at,
        closes_at: body.closes_at,
    })?;
    app.store
        .table
        .create_task(&task)
        .await
        .map_err(|e| match e {
            StoreError::AlreadyExists { .. } => errors::session_code_taken(),
            other => other.into(),
        })?;
    Reply::created(task)
}

/// `GET /v1/tasks`: newest first.
pub async fn list(app: &App, _ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let tasks = app.store.table.tasks().await?;
    Reply::ok(serde_json::json!({ "tasks": tasks }))
}

/// `GET /v1/tasks/{id}`.
pub async fn get(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    Reply::ok(load_task(app, ctx).await?)
}

#[derive(Serialize)]
struct NotStarted {
    student_number: String,
    name: String,
}

#[derive(Serialize)]
struct Progress {
    task: CollectionTask,
    enrolled: usize,
    started: usize,
    /// Cases per status; every status is listed, with zero where none.
    by_status: BTreeMap<&'static str, usize>,
    /// When the case waiting longest for review was submitted (the promise is 48 h).
    #[serde(with = "time::serde::rfc3339::option")]
    oldest_in_review_since: Option<OffsetDateTime>,
    /// Roster rows without a case, masked, in student-number order.
    not_started: Vec<NotStarted>,
}

/// `GET /v1/tasks/{id}/progress`.
pub async fn progress(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let task = load_task(app, ctx).await?;
    let table = &app.store.table;
    let roster = table.enrollments_of_task(task.id).await?;
    let cases = table.collections_of_task(task.id).await?;
    let mut by_status: BTreeMap<&'static str, usize> = CollectionStatus::ALL
        .iter()
        .map(|s| (s.as_str(), 0))
        .collect();
    for case in &cases {
        *by_status.entry(case.status.as_str()).or_default() += 1;
    }
    let started: HashSet<&str> = cases.iter().map(|c| c.student_number.as_str()).collect();
    let not_started = roster
        .iter()
        .filter(|e| !started.contains(e.student_number.as_str()))
        .map(|e| NotStarted {
            student_number: e.student_number.clone(),
            name: mask_name(&e.name),
        })
        .collect();
    let oldest_in_review_since = table
        .review_queue(task.id, 1)
        .await?
        .first()
        .and_then(|c| c.submitted_at);
    Reply::ok(Progress {
        enrolled: roster.len(),
        started: cases.len(),
        by_status,
        oldest_in_review_since,
        not_started,
        task,
    })
}

/// A roster of 10,000 students is about 1 MB of CSV; Lambda takes 6 MB per request.
const ROSTER_LIMIT: usize = 5 * 1024 * 1024;

/// `PUT /v1/tasks/{id}/roster`: replaces rows by student number; all rows or none.
pub async fn import_roster(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    if ctx.body.len() > ROSTER_LIMIT {
        return Err(ApiError::too_large(ROSTER_LIMIT));
    }
    let task = load_task(app, ctx).await?;
    let rows = roster::parse(&task, ctx.body, china::date(ctx.now)).map_err(|e| match e {
        RosterError::File(problem) => errors::roster_unreadable(&problem),
        RosterError::TooManyRows => errors::roster_too_large(),
        RosterError::Rows {
            errors: rows,
            total,
        } => errors::roster_rows_invalid(&rows, total),
    })?;
    let imported = app.store.table.put_enrollments(&rows).await?;
    Reply::ok(serde_json::json!({ "task_id": task.id, "imported": imported }))
}
