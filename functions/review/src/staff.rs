//! Withdrawing a staff member's tokens at once (a lost laptop, someone who left), and giving
//! them back. Tokens carry no per-token id and live up to 12 hours, so an operator revokes the
//! subject; every staff request is checked against it (`web::revocation`).

use lambda_http::http::StatusCode;
use web::{ApiError, ApiResult, Ctx, Reply};

use crate::App;

fn subject(ctx: &Ctx<'_>) -> ApiResult<String> {
    domain::text::required("subject", ctx.param(0), 64).map_err(Into::into)
}

/// `POST /v1/staff/{subject}/revocation`: from now on, every token of `subject` is refused.
pub async fn revoke(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let operator = &ctx.principal()?.subject;
    let subject = subject(ctx)?;
    // An operator locking themselves out would leave nobody to undo it.
    if &subject == operator {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "cannot_revoke_self",
            "不能停用自己的账号",
            "You cannot revoke your own account",
        ));
    }
    let table = &app.store.table;
    table.revoke_staff(&subject, operator, ctx.now).await?;
    web::revocation::forget(table, &subject);
    Reply::ok(serde_json::json!({ "subject": subject, "revoked": true }))
}

/// `DELETE /v1/staff/{subject}/revocation`: `subject`'s tokens pass again.
pub async fn restore(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let subject = subject(ctx)?;
    let table = &app.store.table;
    table.restore_staff(&subject).await?;
    web::revocation::forget(table, &subject);
    Reply::ok(serde_json::json!({ "subject": subject, "revoked": false }))
}

/// `GET /v1/staff/{subject}/accesses`: the cases `subject` opened, newest first.
pub async fn accesses(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let subject = subject(ctx)?;
    let accesses = app.store.table.accesses_by_staff(&subject).await?;
    Reply::ok(serde_json::json!({ "subject": subject, "accesses": accesses }))
}
