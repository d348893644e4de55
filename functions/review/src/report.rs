//! The operators' review report: each task's queue against the 48-hour promise, and the
//! decisions per reviewer per day.

use domain::china;
use store::ReviewTally;
use time::Duration;
use web::{ApiResult, Ctx, Reply};

use crate::App;
use crate::queue::{PROMISE_HOURS, all_queues};

/// `GET /v1/review/report?days=7`: today and the days before it (China time).
pub async fn report(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let days = ctx.query_number("days", 1..=31, 7)?;
    let today = china::date(ctx.now);
    let mut decisions: Vec<ReviewTally> = Vec::new();
    for back in 0..days {
        let day = today - Duration::days(back.into());
        let mut tallies = app.store.table.review_tallies(day).await?;
        tallies.sort_by(|a, b| a.reviewer.cmp(&b.reviewer));
        decisions.extend(tallies);
    }
    let queues = all_queues(app, ctx.now).await?;
    let overdue: usize = queues.iter().map(|q| q.overdue).sum();
    Reply::ok(serde_json::json!({
        "promise_hours": PROMISE_HOURS,
        "overdue": overdue,
        "queues": queues,
        "decisions": decisions,
    }))
}
