//! What every HTTP function of the service shares (the students' API, the review function):
//! session tokens and roles, a table of routes, errors as `{code, message_zh, message_en}`, and
//! the pipeline that turns any request into a JSON response. A function supplies its routes and
//! a dispatch over its own actions ([`Service`]); the rest is here, once.

pub mod auth;
pub mod error;
pub mod request;
pub mod revocation;
pub mod router;

use domain::ReasonCode;
use serde::Serialize;

pub use auth::{Principal, Role, TokenError, Tokens};
pub use error::{ApiError, ApiResult};
pub use request::{Ctx, JSON_LIMIT, Reply};
pub use router::Route;
pub use store::Clock;

use lambda_http::http::HeaderMap;
use lambda_http::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use lambda_http::{Body, Request, Response};
use time::OffsetDateTime;

/// An HTTP function: its route table, its token keys, and what each action does.
pub trait Service: Sync {
    type Action: Copy + Send + Sync + 'static;

    fn routes(&self) -> &'static [Route<Self::Action>];

    fn tokens(&self) -> &Tokens;

    /// The time every request is answered at (tests freeze it).
    fn clock(&self) -> &Clock;

    /// Where staff revocations are kept; every staff request is checked against it.
    fn table(&self) -> &store::Table;

    fn dispatch(
        &self,
        action: Self::Action,
        ctx: &Ctx<'_>,
    ) -> impl Future<Output = ApiResult<Reply>> + Send;
}

/// Answers one request. Never fails: every problem becomes an error response.
pub async fn handle<S: Service>(service: &S, request: Request) -> Response<Body> {
    let started = std::time::Instant::now();
    let now = service.clock().now();
    // On the heap: the measurement wraps the whole dispatch, as large as its largest handler.
    let (answer, aws) = store::timing::measured(Box::pin(dispatch(service, &request, now))).await;
    let (status, body) = match answer {
        Ok(reply) => (reply.status, reply.body),
        Err(error) => (
            error.status,
            serde_json::to_value(&error).unwrap_or_default(),
        ),
    };
    let mut response = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        // Responses carry personal data (masked) and presigned URLs: never cache them.
        .header(CACHE_CONTROL, "no-store");
    // On the local stack only (`SERVER_TIMING=1`): how much of the request was AWS's.
    if *SERVER_TIMING {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        let timing = format!(
            "aws;dur={:.3}, app;dur={:.3}",
            ms(aws),
            ms(started.elapsed())
        );
        response = response.header("server-timing", timing);
    }
    response
        .body(Body::from(body.to_string()))
        .expect("a response from a status and a JSON body builds")
}

static SERVER_TIMING: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var("SERVER_TIMING").is_ok_and(|v| v == "1"));

async fn dispatch<S: Service>(
    service: &S,
    request: &Request,
    now: OffsetDateTime,
) -> ApiResult<Reply> {
    let (route, params) = router::find(service.routes(), request.method(), request.uri().path())?;
    let principal = authenticate(service.tokens(), route.roles, request.headers(), now)?;
    if let Some(staff) = principal.as_ref().filter(|p| p.role.is_staff())
        && revocation::is_revoked(service.table(), &staff.subject).await?
    {
        return Err(ApiError::new(
            lambda_http::http::StatusCode::UNAUTHORIZED,
            "token_revoked",
            "此工作人员账号已被停用，请联系运营人员",
            "This staff account's sessions were withdrawn; ask an operator",
        ));
    }
    let body: &[u8] = match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    let ctx = Ctx {
        principal,
        params,
        query: request.uri().query().unwrap_or_default(),
        body,
        now,
    };
    // On the heap: the future of a match over every handler is as large as the largest one,
    // more than a test thread's stack holds in a debug build.
    Box::pin(service.dispatch(route.action, &ctx)).await
}

fn authenticate(
    tokens: &Tokens,
    roles: Option<&[Role]>,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> ApiResult<Option<Principal>> {
    let Some(roles) = roles else {
        return Ok(None);
    };
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::unauthenticated("unauthenticated", "Sign in first: no bearer token")
        })?;
    let principal = tokens.verify(token.trim(), now).map_err(|e| match e {
        TokenError::Expired => {
            ApiError::unauthenticated("token_expired", "Your session has expired; sign in again")
        }
        TokenError::Malformed | TokenError::BadSignature => {
            ApiError::unauthenticated("token_invalid", "The session token is not valid")
        }
    })?;
    if !roles.contains(&principal.role) {
        return Err(ApiError::forbidden());
    }
    Ok(Some(principal))
}

/// A reason with the words a student can act on, in both languages (the engine's own texts).
#[derive(Debug, Serialize)]
pub struct ReasonView {
    pub code: &'static str,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    pub hint_zh: &'static str,
    pub hint_en: &'static str,
}

impl From<ReasonCode> for ReasonView {
    fn from(r: ReasonCode) -> Self {
        Self {
            code: r.code(),
            title_zh: r.title_zh(),
            title_en: r.title_en(),
            hint_zh: r.hint_zh(),
            hint_en: r.hint_en(),
        }
    }
}
