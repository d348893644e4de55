//! Paying for a case and asking for the money back (DESIGN §6); the payment anomalies that
//! operators settle by hand.

use domain::Actor;
use payments::PaymentError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use wechat::pay::MiniProgramPayment;

use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply};

use crate::auth::Role;
use crate::routes::guards::visible_case;
use crate::{App, errors};

#[derive(Serialize)]
struct CheckoutView {
    order_no: String,
    amount_fen: u32,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    /// Passed as is to `wx.requestPayment`.
    payment: MiniProgramPayment,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayBody {
    /// Order the task's printed photos with the collection, in the same payment.
    #[serde(default)]
    print: bool,
}

/// `POST /v1/collections/{id}/payment`: the order to pay (the same one until it expires) and
/// the signed parameters of the mini program's payment sheet. The case becomes paid when
/// WeChat Pay's notification (or the reconciler) says so, never on the client's word.
pub async fn pay(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    ctx.student()?;
    let body: PayBody = if ctx.body.is_empty() {
        PayBody { print: false }
    } else {
        ctx.json(JSON_LIMIT)?
    };
    let case = visible_case(app, ctx).await?;
    let task = app.store.table.task(case.task_id).await?;
    if body.print {
        if task.print.is_none() {
            return Err(errors::no_print_offer());
        }
        if app.store.table.address(case.id).await?.is_none() {
            return Err(errors::address_required());
        }
    }
    let checkout = app
        .payments
        .checkout(&case, &task, body.print, ctx.now)
        .await
        .map_err(payment_error)?;
    Reply::ok(CheckoutView {
        order_no: checkout.order_no,
        amount_fen: checkout.amount_fen,
        expires_at: checkout.expires_at,
        payment: checkout.parameters,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundBody {
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /v1/collections/{id}/refund`: the student (their own case) or an operator asks for
/// the payment back; allowed until the photo is approved. Answers 202: WeChat Pay settles the
/// refund later and the case shows it.
pub async fn request_refund(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let body: RefundBody = if ctx.body.is_empty() {
        RefundBody { reason: None }
    } else {
        ctx.json(JSON_LIMIT)?
    };
    let case = visible_case(app, ctx).await?;
    let principal = ctx.principal()?;
    let actor = match principal.role {
        Role::Operator => Actor::Operator(principal.subject.clone()),
        Role::Student => Actor::Student,
        // The router admits students and operators only.
        _ => return Err(ApiError::forbidden()),
    };
    let refund = app
        .payments
        .request_refund(case.id, actor, body.reason, ctx.now)
        .await
        .map_err(payment_error)?;
    Reply::accepted(serde_json::json!({
        "refund_no": refund.refund_no,
        "amount_fen": refund.amount_fen,
        "status": refund.status,
    }))
}

/// `GET /v1/payments/anomalies`: what WeChat Pay reported that no case could take.
pub async fn anomalies(app: &App, _ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let anomalies = app.store.table.anomalies(500).await?;
    Reply::ok(serde_json::json!({ "anomalies": anomalies }))
}

fn payment_error(e: PaymentError) -> ApiError {
    match e {
        PaymentError::Refused(refusal) => refusal.into(),
        PaymentError::Store(store) => store.into(),
        PaymentError::NothingToPay => errors::no_fee(),
        PaymentError::WeChat(err) => {
            // WeChat Pay's answers name order numbers and codes only.
            tracing::error!(error = %err, "WeChat Pay call failed");
            ApiError::unavailable("微信支付", "WeChat Pay")
        }
    }
}
