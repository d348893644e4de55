//! One request as a handler sees it, and a handler's successful answer.

use lambda_http::http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::auth::{Principal, Role};
use crate::error::{ApiError, ApiResult};

/// JSON bodies are small; anything larger is a mistake or an attack.
pub const JSON_LIMIT: usize = 16 * 1024;

pub struct Ctx<'r> {
    pub principal: Option<Principal>,
    /// The values of the route's `{…}` segments, in order.
    pub params: Vec<&'r str>,
    /// The raw query string (without `?`), empty when there is none.
    pub query: &'r str,
    pub body: &'r [u8],
    pub now: OffsetDateTime,
}

impl Ctx<'_> {
    /// The caller (every route but login requires one, so the router has checked it).
    pub fn principal(&self) -> ApiResult<&Principal> {
        self.principal
            .as_ref()
            .ok_or_else(|| ApiError::unauthenticated("unauthenticated", "Sign in first"))
    }

    /// The student's openid; refuses staff, who have no cases of their own.
    pub fn student(&self) -> ApiResult<&str> {
        let principal = self.principal()?;
        if principal.role != Role::Student {
            return Err(ApiError::forbidden());
        }
        Ok(&principal.subject)
    }

    /// The body as JSON of type `T`, within `limit` bytes. Unknown fields are refused by the
    /// types themselves (`deny_unknown_fields`).
    pub fn json<T: DeserializeOwned>(&self, limit: usize) -> ApiResult<T> {
        if self.body.len() > limit {
            return Err(ApiError::too_large(limit));
        }
        serde_json::from_slice(self.body).map_err(json_error)
    }

    pub fn param(&self, index: usize) -> &str {
        self.params.get(index).copied().unwrap_or_default()
    }

    /// The first value of query parameter `name`, if given (values here are ids and numbers,
    /// so no percent-decoding is needed).
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
    }

    /// A whole-number query parameter within `range`, or `default` when absent.
    pub fn query_number(
        &self,
        name: &'static str,
        range: std::ops::RangeInclusive<u32>,
        default: u32,
    ) -> ApiResult<u32> {
        let Some(raw) = self.query_value(name) else {
            return Ok(default);
        };
        raw.parse()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                let (low, high) = (range.start(), range.end());
                ApiError::bad_request(
                    format!("参数 {name} 应为 {low} 到 {high} 之间的整数"),
                    format!("{name} must be a whole number from {low} to {high}"),
                )
            })
    }
}

impl Ctx<'_> {
    /// A `true`/`false` query parameter, or `default` when absent.
    pub fn query_flag(&self, name: &'static str, default: bool) -> ApiResult<bool> {
        match self.query_value(name) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => Err(ApiError::bad_request(
                format!("参数 {name} 应为 true 或 false"),
                format!("{name} must be true or false"),
            )),
        }
    }
}

/// Describes a JSON error without the value that caused it (which may be a name or an ID
/// number): unknown and missing fields are named, other problems only located.
fn json_error(e: serde_json::Error) -> ApiError {
    let message = e.to_string();
    let en = if message.starts_with("unknown field") || message.starts_with("missing field") {
        message
    } else if e.is_eof() || e.is_syntax() {
        format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    } else {
        format!(
            "a value has the wrong type or form (line {}, column {})",
            e.line(),
            e.column()
        )
    };
    ApiError::bad_request(format!("请求格式有误：{en}"), en)
}

/// A handler's successful answer.
pub struct Reply {
    pub status: StatusCode,
    pub body: serde_json::Value,
}

impl Reply {
    pub fn ok(body: impl Serialize) -> ApiResult<Self> {
        Self::with_status(StatusCode::OK, body)
    }

    pub fn created(body: impl Serialize) -> ApiResult<Self> {
        Self::with_status(StatusCode::CREATED, body)
    }

    pub fn accepted(body: impl Serialize) -> ApiResult<Self> {
        Self::with_status(StatusCode::ACCEPTED, body)
    }

    fn with_status(status: StatusCode, body: impl Serialize) -> ApiResult<Self> {
        let body = serde_json::to_value(body).map_err(|e| {
            tracing::error!(error = %e, "response did not serialise");
            ApiError::internal()
        })?;
        Ok(Self { status, body })
    }
}
