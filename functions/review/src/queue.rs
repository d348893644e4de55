//! The review queue of a task (oldest submission first, `gsi1`) and the leases on it.

use std::collections::HashMap;

use domain::{CollectionId, CollectionStatus, CollectionTask, Lease, TaskId};
use serde::Serialize;
use store::{LeaseError, QueueEntry};
use time::OffsetDateTime;
use web::{ApiError, ApiResult, Ctx, Reply};

use crate::App;
use crate::case::{self, hours_between};
use crate::errors;

/// The service promises a decision within this many hours of submission.
pub const PROMISE_HOURS: f64 = domain::collection::REVIEW_PROMISE.whole_hours() as f64;
/// The most cases one listing returns: a day's work for a large school.
const MAX_LISTED: u32 = 2000;
/// How deep `next` looks past cases others hold.
const NEXT_DEPTH: usize = 200;

/// One task's queue at a glance.
#[derive(Debug, Serialize)]
pub struct QueueSummary {
    pub task_id: String,
    pub school: String,
    pub session_code: String,
    pub waiting: usize,
    /// Of those, held by a reviewer right now.
    pub leased: usize,
    #[serde(with = "time::serde::rfc3339::option")]
    pub oldest_submitted_at: Option<OffsetDateTime>,
    pub oldest_age_hours: Option<f64>,
    /// Waiting longer than the 48-hour promise.
    pub overdue: usize,
}

/// One waiting case in a listing.
#[derive(Debug, Serialize)]
pub struct QueueItem {
    pub collection_id: String,
    pub student_number: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub submitted_at: Option<OffsetDateTime>,
    pub age_hours: f64,
    /// The engine's doubts and the face match's, for triage.
    pub review_flags: usize,
    pub face_verdict: Option<&'static str>,
    pub lease: Option<LeaseView>,
}

#[derive(Debug, Serialize)]
pub struct LeaseView {
    pub reviewer: String,
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
    /// Whether the caller holds it.
    pub mine: bool,
}

impl LeaseView {
    pub fn of(lease: &Lease, caller: &str) -> Self {
        Self {
            reviewer: lease.reviewer.clone(),
            until: lease.until,
            mine: lease.reviewer == caller,
        }
    }
}

/// A task's waiting cases with the live leases on them.
struct Waiting {
    cases: Vec<QueueEntry>,
    leases: HashMap<CollectionId, Lease>,
}

async fn waiting(app: &App, task: TaskId, limit: usize, now: OffsetDateTime) -> ApiResult<Waiting> {
    let table = &app.store.table;
    let (cases, leases) = futures_util::future::try_join(
        table.review_queue_entries(task, limit),
        live_leases(app, task, now),
    )
    .await?;
    Ok(Waiting { cases, leases })
}

pub(crate) async fn live_leases(
    app: &App,
    task: TaskId,
    now: OffsetDateTime,
) -> Result<HashMap<CollectionId, Lease>, store::StoreError> {
    Ok(app
        .store
        .table
        .leases_of_task(task)
        .await?
        .into_iter()
        .filter(|l| l.is_live(now))
        .map(|l| (l.collection_id, l))
        .collect())
}

/// One task's queue at a glance, from the submission times alone (a queue of thousands
/// stays cheap) and the live leases.
async fn summary(app: &App, task: &CollectionTask, now: OffsetDateTime) -> ApiResult<QueueSummary> {
    let (times, leases) = futures_util::future::try_join(
        app.store.table.review_queue_times(task.id),
        live_leases(app, task.id, now),
    )
    .await?;
    Ok(summary_of(task, &times, &leases, now))
}

fn summary_of(
    task: &CollectionTask,
    times: &[OffsetDateTime],
    leases: &HashMap<CollectionId, Lease>,
    now: OffsetDateTime,
) -> QueueSummary {
    let oldest = times.first().copied();
    QueueSummary {
        task_id: task.id.to_string(),
        school: task.school.clone(),
        session_code: task.session_code.as_str().to_owned(),
        waiting: times.len(),
        // Leases live only on waiting cases: a decision deletes its lease.
        leased: leases.len().min(times.len()),
        oldest_submitted_at: oldest,
        oldest_age_hours: oldest.map(|at| hours_between(at, now)),
        overdue: times
            .iter()
            .filter(|&&at| hours_between(at, now) > PROMISE_HOURS)
            .count(),
    }
}

/// Every task's queue, for the reviewers' start page and the operators' report.
pub async fn all_queues(app: &App, now: OffsetDateTime) -> ApiResult<Vec<QueueSummary>> {
    let tasks = app.store.table.tasks().await?;
    futures_util::future::try_join_all(tasks.iter().map(|task| summary(app, task, now))).await
}

/// `GET /v1/review/queues`.
pub async fn queues(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    Reply::ok(serde_json::json!({
        "promise_hours": PROMISE_HOURS,
        "queues": all_queues(app, ctx.now).await?,
    }))
}

pub(crate) fn task_id(ctx: &Ctx<'_>) -> ApiResult<TaskId> {
    ctx.param(0)
        .parse()
        .map_err(|_| ApiError::not_found("采集任务", "Task"))
}

pub(crate) fn case_id(ctx: &Ctx<'_>) -> ApiResult<CollectionId> {
    ctx.param(0)
        .parse()
        .map_err(|_| ApiError::not_found("案件", "Case"))
}

/// `GET /v1/review/tasks/{task_id}/queue?limit=&summary=`: the waiting cases, oldest first.
pub async fn task_queue(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let task = app.store.table.task(task_id(ctx)?).await?;
    let limit = ctx.query_number("limit", 1..=MAX_LISTED, 500)?;
    let caller = &ctx.principal()?.subject;
    // The summary counts the whole queue; a client showing the oldest cases first may leave it
    // for a second call (`summary=false`).
    let with_summary = ctx.query_flag("summary", true)?;
    let times = async {
        match with_summary {
            true => Ok(Some(app.store.table.review_queue_times(task.id).await?)),
            false => Ok(None),
        }
    };
    let (waiting, times) =
        futures_util::future::try_join(waiting(app, task.id, limit as usize, ctx.now), times)
            .await?;
    let summary = times.map(|times| summary_of(&task, &times, &waiting.leases, ctx.now));
    let items: Vec<QueueItem> = waiting
        .cases
        .iter()
        .map(|c| QueueItem {
            collection_id: c.collection_id.to_string(),
            student_number: c.student_number.clone(),
            submitted_at: c.submitted_at,
            age_hours: c.submitted_at.map_or(0.0, |at| hours_between(at, ctx.now)),
            review_flags: c.review_flags,
            face_verdict: c.face_match.as_ref().map(case::verdict_name),
            lease: waiting
                .leases
                .get(&c.collection_id)
                .map(|l| LeaseView::of(l, caller)),
        })
        .collect();
    Reply::ok(serde_json::json!({
        "summary": summary,
        "items": items,
    }))
}

/// `POST /v1/review/tasks/{task_id}/next`: claims the oldest case nobody else holds (the
/// caller's own live claim first, so a reload gives the same case back).
pub async fn next(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let task = task_id(ctx)?;
    let reviewer = &ctx.principal()?.subject;
    let waiting = waiting(app, task, NEXT_DEPTH, ctx.now).await?;
    let (mine, others): (Vec<&QueueEntry>, Vec<&QueueEntry>) = waiting
        .cases
        .iter()
        .filter(|c| {
            waiting
                .leases
                .get(&c.collection_id)
                .is_none_or(|l| &l.reviewer == reviewer)
        })
        .partition(|c| waiting.leases.contains_key(&c.collection_id));
    let table = &app.store.table;
    for candidate in mine.into_iter().chain(others) {
        let id = candidate.collection_id;
        match table
            .take_lease(Lease::claim(id, task, reviewer, ctx.now), ctx.now)
            .await
        {
            Ok(lease) => {
                let case = table.collection(id).await?;
                // The index lags the table: a case decided a moment ago may still be listed.
                if case.status == CollectionStatus::InReview {
                    return case::reply(app, ctx, &case, Some(&lease)).await;
                }
                table.release_lease(id, reviewer).await?;
            }
            // Someone was quicker: try the next one.
            Err(LeaseError::Held { .. }) => continue,
            Err(LeaseError::Store(e)) => return Err(e.into()),
        }
    }
    Err(errors::queue_empty())
}

/// `POST /v1/review/cases/{id}/claim`: claims one case, or renews the caller's claim on it.
pub async fn claim(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let reviewer = &ctx.principal()?.subject;
    let case = app.store.table.collection(case_id(ctx)?).await?;
    if case.status != CollectionStatus::InReview {
        return Err(errors::not_in_review());
    }
    let taken = app
        .store
        .table
        .take_lease(
            Lease::claim(case.id, case.task_id, reviewer, ctx.now),
            ctx.now,
        )
        .await;
    match taken {
        Ok(lease) => case::reply(app, ctx, &case, Some(&lease)).await,
        Err(LeaseError::Held { until }) => Err(errors::lease_held(until)),
        Err(LeaseError::Store(e)) => Err(e.into()),
    }
}

/// `DELETE /v1/review/cases/{id}/claim`: gives the case back to the queue at once.
pub async fn release(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let reviewer = &ctx.principal()?.subject;
    let released = app
        .store
        .table
        .release_lease(case_id(ctx)?, reviewer)
        .await?;
    Reply::ok(serde_json::json!({ "released": released }))
}
