//! The review function's own refusals, worded for a reviewer's screen.

use lambda_http::http::StatusCode;
use time::OffsetDateTime;
use web::ApiError;

/// Another reviewer holds the case.
pub fn lease_held(until: OffsetDateTime) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "lease_held",
        "该案件正由其他审核员处理，请审核下一件",
        "Another reviewer is working on this case; take the next one",
    )
    .with_details(serde_json::json!({ "until": rfc3339(until) }))
}

/// The reviewer's lease ran out (or was never taken): the decision is not written.
pub fn lease_lost() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "lease_lost",
        "审核锁定已失效（超时或未领取），决定未保存，请重新领取",
        "Your hold on this case has run out or was never taken; the decision was not saved. Claim it again",
    )
}

/// The case is not waiting for a reviewer (decided by someone else, or never submitted).
pub fn not_in_review() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "not_in_review",
        "该案件已处理或不在审核中，请审核下一件",
        "This case is not waiting for review (it may have been decided already); take the next one",
    )
}

/// A reviewer asked for a case that is not in review and that they do not hold: reviewers see
/// a student's photos only while the case waits for their decision.
pub fn closed_to_reviewers() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "closed_to_reviewers",
        "该案件不在审核中，审核员不能查看",
        "Reviewers open only cases waiting for review; this one is not",
    )
}

/// Nothing left to claim in the task.
pub fn queue_empty() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "queue_empty",
        "当前没有待审核的案件",
        "No case is waiting for review",
    )
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn not_in_retouching() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "not_in_retouching",
        "该案件不在修图中",
        "This case is not waiting for retouching",
    )
}

/// The task offers no printed photos.
pub fn no_print_offer() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "no_print_offer",
        "该采集任务不提供冲印服务",
        "This task does not offer printed photos",
    )
}

/// No approved case has prints waiting to be made.
pub fn nothing_to_print() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "nothing_to_print",
        "没有待冲印的照片",
        "No approved case has prints waiting to be made",
    )
}
