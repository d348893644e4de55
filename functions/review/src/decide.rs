//! Approve or reject: only by the reviewer holding the case's lease, written in one
//! transaction with the audit event (the reviewer's id as actor), the lease's release and the
//! reviewer's count for the day.

use domain::collection::MAX_NOTE_CHARS;
use domain::{Actor, CollectionStatus, Command, ReasonCode, TransitionError, ValidationError};
use serde::Deserialize;
use store::{Along, StoreError, UpdateError};
use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply};

use crate::App;
use crate::case;
use crate::errors;
use crate::queue::case_id;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApproveBody {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reasons: Vec<String>,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /v1/review/cases/{id}/approve`.
pub async fn approve(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    if !ctx.body.is_empty() {
        let _: ApproveBody = ctx.json(JSON_LIMIT)?;
    }
    let reviewer = ctx.principal()?.subject.clone();
    decide(app, ctx, Command::Approve { reviewer }, Effect::Approved).await
}

/// `POST /v1/review/cases/{id}/reject`: one or more reason codes, and a note for the student.
pub async fn reject(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let body: RejectBody = ctx.json(JSON_LIMIT)?;
    let mut reasons = Vec::with_capacity(body.reasons.len());
    for code in &body.reasons {
        let reason: ReasonCode = code.parse().map_err(|_| {
            ApiError::bad_request(
                format!("未知的不通过原因：{code}"),
                format!("unknown reason code {code:?}"),
            )
        })?;
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    if reasons.is_empty() {
        return Err(ApiError::bad_request(
            "请至少选择一个不通过原因",
            "choose at least one reason",
        ));
    }
    let note = body
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(ValidationError::new(
            "note",
            format!("is longer than {MAX_NOTE_CHARS} characters"),
        )
        .into());
    }
    let reviewer = ctx.principal()?.subject.clone();
    let command = Command::Reject {
        reviewer,
        reasons,
        note,
    };
    decide(app, ctx, command, Effect::Rejected).await
}

/// What a reviewer's decision does beside the case's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Counted for the report.
    Approved,
    /// Counted, and the student's ID card is theirs again.
    Rejected,
    /// Not a verdict: the case comes back to review.
    SentToRetouch,
}

pub(crate) async fn decide(
    app: &App,
    ctx: &Ctx<'_>,
    command: Command,
    effect: Effect,
) -> ApiResult<Reply> {
    let reviewer = &ctx.principal()?.subject;
    let id = case_id(ctx)?;
    let table = &app.store.table;
    // Said plainly before trying; the transaction's condition settles any race after this.
    let held = table
        .lease(id)
        .await?
        .is_some_and(|l| l.is_held_by(reviewer, ctx.now));
    if !held {
        let case = table.collection(id).await?;
        return Err(if case.status == CollectionStatus::InReview {
            errors::lease_lost()
        } else {
            errors::not_in_review()
        });
    }
    // A case sent back for a retake no longer holds the student's ID-card portrait.
    let owner = table.collection(id).await?.owner;
    let mut along = vec![Along::Lease {
        case: id,
        reviewer,
        now: ctx.now,
    }];
    if effect != Effect::SentToRetouch {
        along.push(Along::Tally {
            reviewer,
            at: ctx.now,
            approved: effect == Effect::Approved,
        });
    }
    if effect == Effect::Rejected {
        along.push(Along::ReleasePortrait {
            openid: &owner,
            case: id,
        });
    }
    let actor = Actor::Reviewer(reviewer.clone());
    match table
        .transition_along(id, command, actor, ctx.now, &along)
        .await
    {
        Ok(transition) => case::reply(app, ctx, &transition.next, None).await,
        Err(UpdateError::Refused(TransitionError::NotAllowed { .. })) => {
            Err(errors::not_in_review())
        }
        // The lease's condition failed: it ran out between the check and the write.
        Err(UpdateError::Store(StoreError::Conflict { .. })) => Err(errors::lease_lost()),
        Err(other) => Err(other.into()),
    }
}
