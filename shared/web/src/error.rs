//! Errors as the client sees them: `{code, message_zh, message_en}` with the right status.
//! Codes are stable (clients key on them); messages are for people and never repeat a name or
//! an ID number.

use std::borrow::Cow;

use domain::{CollectionStatus, ErasureBlocked, TransitionError, ValidationError};
use lambda_http::http::StatusCode;
use serde::Serialize;
use store::{StoreError, UpdateError};

#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: &'static str,
    pub message_zh: Cow<'static, str>,
    pub message_en: Cow<'static, str>,
    /// Structured detail where a client can act on it (the rows of a roster that failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message_zh: impl Into<Cow<'static, str>>,
        message_en: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            message_zh: message_zh.into(),
            message_en: message_en.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(
        message_zh: impl Into<Cow<'static, str>>,
        message_en: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            message_zh,
            message_en,
        )
    }

    pub fn unauthenticated(code: &'static str, message_en: &'static str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            code,
            "登录已失效，请重新登录",
            message_en,
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "无权访问此内容",
            "You may not access this",
        )
    }

    pub fn not_found(what_zh: &str, what_en: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what_zh}不存在"),
            format!("{what_en} not found"),
        )
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("请求内容过大（上限 {} KB）", limit / 1024),
            format!("The request body is too large (limit {} KB)", limit / 1024),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务暂时出现问题，请稍后重试",
            "Something went wrong on our side; please try again later",
        )
    }

    pub fn unavailable(service_zh: &str, service_en: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "upstream_unavailable",
            format!("{service_zh}暂时不可用，请稍后重试"),
            format!("{service_en} is unavailable; please try again shortly"),
        )
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        // The domain's problems are written in English; the field tells a student which box.
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("{}填写有误：{}", field_zh(e.field), e.problem),
            e.to_string(),
        )
        .with_details(serde_json::json!({ "field": e.field }))
    }
}

fn field_zh(field: &str) -> &'static str {
    match field {
        "name" => "姓名",
        "id_number" => "身份证号",
        "student_number" => "学号",
        "session_code" => "采集场次编码",
        "chsi_code" => "学信网图像采集码",
        "school" => "学校",
        "major" => "专业",
        "graduation_year" => "毕业年份",
        "fee_fen" => "收费金额",
        "profile" => "照片规格",
        "closes_at" | "opens_at" => "起止时间",
        "note" => "备注",
        _ => "输入",
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, .. } => Self::not_found("记录", entity),
            StoreError::Conflict { .. } => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                "操作冲突，请刷新后重试",
                "Someone changed this at the same time; reload and try again",
            ),
            other => {
                // Store errors name records by id only, so they are safe to log.
                tracing::error!(error = %other, "store failure");
                Self::internal()
            }
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(e: TransitionError) -> Self {
        let conflict = |code, zh: &'static str, en: &'static str| {
            Self::new(StatusCode::CONFLICT, code, zh, en)
        };
        match e {
            TransitionError::NotAllowed {
                command: "start_attempt",
                status: CollectionStatus::AwaitingPayment,
            } => conflict(
                "payment_required",
                "请先完成缴费再上传照片",
                "Pay for the collection before uploading a photo",
            ),
            TransitionError::NotAllowed {
                command: "withdraw",
                status,
            } if !status.is_locked() => conflict(
                "not_in_review",
                "照片不在审核中，无需撤回",
                "The photo is not in review: there is nothing to withdraw",
            ),
            TransitionError::NotAllowed {
                command: "printed",
                status,
            } => {
                if status.is_locked() {
                    conflict(
                        "already_printed",
                        "照片已在其他批次冲印",
                        "The prints were made in another batch",
                    )
                } else {
                    conflict(
                        "not_approved",
                        "照片审核通过后才能冲印",
                        "Only an approved photo is printed",
                    )
                }
            }
            TransitionError::NoPrintOrder => conflict(
                "no_print_order",
                "该案件未订购冲印照片",
                "No printed photos were ordered with this case",
            ),
            TransitionError::PrintNotReady { needed: "printed" } => conflict(
                "not_printed",
                "照片尚未冲印，不能登记寄出",
                "The prints have not been made yet, so they cannot be shipped",
            ),
            TransitionError::PrintNotReady { .. } => conflict(
                "not_shipped",
                "照片尚未寄出，不能确认签收",
                "The prints have not been shipped yet, so they cannot be delivered",
            ),
            TransitionError::Invalid { field, problem } => {
                domain::ValidationError::new(field, problem).into()
            }
            TransitionError::NotAllowed { status, .. } if status.is_locked() => conflict(
                "case_locked",
                "照片已审核通过并锁定，不能再修改",
                "The photo is approved and locked; it can no longer be changed",
            ),
            TransitionError::NotAllowed {
                status: CollectionStatus::InReview,
                ..
            } => conflict(
                "in_review",
                "照片正在审核中，请等待审核结果",
                "Your photo is being reviewed; please wait for the result",
            ),
            TransitionError::NotAllowed { .. } => conflict(
                "not_allowed",
                "当前状态下不能进行此操作",
                "This cannot be done in the case's current state",
            ),
            TransitionError::AttemptNotPassed(_) => conflict(
                "attempt_not_passed",
                "这张照片未通过检测，请按提示重新拍摄",
                "This photo did not pass the checks; retake it following the hints",
            ),
            TransitionError::RefundPending => conflict(
                "refund_pending",
                "退款正在处理中，完成前不能继续操作",
                "A refund is being processed; wait until it is settled",
            ),
            TransitionError::AlreadyPaid => conflict(
                "already_paid",
                "已缴费，无需重复支付",
                "This collection is already paid",
            ),
            TransitionError::UnknownAttempt(_) => Self::not_found("照片", "Attempt"),
            TransitionError::TooManyAttempts { .. } => conflict(
                "attempt_limit_reached",
                "上传次数已达上限，请联系客服",
                "You have reached the upload limit; please contact support",
            ),
            TransitionError::ErasureBlocked(why) => why.into(),
            other => {
                // Domain refusals name ids only, so they are safe to log.
                tracing::info!(refusal = %other, "command refused");
                conflict(
                    "not_allowed",
                    "当前状态下不能进行此操作",
                    "This cannot be done in the case's current state",
                )
            }
        }
    }
}

/// Why a student's erasure waits: each says what it waits for.
impl From<ErasureBlocked> for ApiError {
    fn from(why: ErasureBlocked) -> Self {
        let (zh, en) = match why {
            ErasureBlocked::InReview => (
                "照片正在审核中，审核结束后才能删除您的数据",
                "Your photo is being reviewed; your data can be erased once the review is over",
            ),
            ErasureBlocked::AwaitingPublication => (
                "照片已审核通过、正在报送学信网，报送完成后才能删除您的数据",
                "Your approved photo is on its way to CHSI; your data can be erased once it is published",
            ),
            ErasureBlocked::RefundPending => (
                "退款正在处理中，完成后才能删除您的数据",
                "A refund is being processed; your data can be erased once it is settled",
            ),
            ErasureBlocked::PhotoBeingChecked => (
                "照片正在检测中，检测完成后才能删除您的数据",
                "A photo of yours is being checked; your data can be erased once the check is done",
            ),
            ErasureBlocked::PrintsPending => (
                "冲印照片尚未送达，签收后才能删除您的数据",
                "Your printed photos are not delivered yet; your data can be erased once they arrive",
            ),
        };
        Self::new(StatusCode::CONFLICT, "erasure_blocked", zh, en)
    }
}

impl From<UpdateError> for ApiError {
    fn from(e: UpdateError) -> Self {
        match e {
            UpdateError::Refused(refusal) => refusal.into(),
            UpdateError::Store(store) => store.into(),
        }
    }
}
