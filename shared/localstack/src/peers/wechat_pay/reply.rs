//! Replies and refusals as WeChat words them, and reading a request's JSON body.

use axum::http::StatusCode;
use serde_json::{Value, json};

/// A status and a JSON body (none for 204).
pub(super) type Reply = (StatusCode, Option<Value>);

pub(super) fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Reply {
    (
        status,
        Some(json!({"code": code, "message": message.into()})),
    )
}

pub(super) fn param_error(message: impl Into<String>) -> Reply {
    refuse(StatusCode::BAD_REQUEST, "PARAM_ERROR", message)
}

pub(super) fn json_body(body: &[u8]) -> Result<Value, Reply> {
    serde_json::from_slice(body).map_err(|_| param_error("the body is not JSON"))
}

/// A non-empty string at `pointer`, or WeChat's `PARAM_ERROR` naming it.
pub(super) fn required<'a>(body: &'a Value, pointer: &str) -> Result<&'a str, Reply> {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| param_error(format!("{} is required", &pointer[1..])))
}
