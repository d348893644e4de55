//! The application: its clients (built once per container), and the request pipeline that
//! turns every request into a JSON response, whatever the request holds.

use std::sync::Arc;

use lambda_http::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::{Body, Request, Response};
use payments::Payments;
use serde::Serialize;
use serde::de::DeserializeOwned;
use store::Store;
use time::OffsetDateTime;
use wechat::{LoginClient, LoginConfig};

use crate::auth::{Principal, Role, TokenError, Tokens};
use crate::error::{ApiError, ApiResult};
use crate::identity::{HttpIdentityVerifier, IdentityVerifier};
use crate::router::{self, Route};
use crate::routes;

/// JSON bodies are small; anything larger is a mistake or an attack.
pub const JSON_LIMIT: usize = 16 * 1024;

pub struct App {
    pub store: Store,
    pub tokens: Tokens,
    pub login: LoginClient,
    pub verifier: Arc<dyn IdentityVerifier>,
    pub payments: Payments,
}

/// One request as the handlers see it.
pub struct Ctx<'r> {
    pub principal: Option<Principal>,
    pub params: Vec<&'r str>,
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

impl App {
    /// Builds the application from the function's environment (see `infra/template.yaml`).
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let sdk = aws_config::load_from_env().await;
        let config = store::Config::load(&sdk).await?;
        let store = Store::with_sdk_config(&sdk, config);
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let tokens = Tokens::new(store::secret(&sdk, "SESSION_SECRET").await?.as_bytes())?;
        let login = LoginClient::new(LoginConfig {
            base_url: var("WECHAT_API_BASE")?,
            appid: var("WECHAT_APPID")?,
            secret: store::secret(&sdk, "WECHAT_SECRET").await?,
        });
        let verifier = HttpIdentityVerifier::new(
            var("IDENTITY_API_BASE")?,
            store::secret(&sdk, "IDENTITY_API_KEY").await?,
        );
        let payments = payments::from_env(&sdk, store.table.clone()).await?;
        Ok(Self {
            store,
            tokens,
            login,
            verifier: Arc::new(verifier),
            payments,
        })
    }

    /// Answers one request. Never fails: every problem becomes an error response.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let now = OffsetDateTime::now_utc();
        let (status, body) = match self.dispatch(&request, now).await {
            Ok(reply) => (reply.status, reply.body),
            Err(error) => (
                error.status,
                serde_json::to_value(&error).unwrap_or_default(),
            ),
        };
        Response::builder()
            .status(status)
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            // Responses carry personal data (masked) and presigned URLs: never cache them.
            .header(CACHE_CONTROL, "no-store")
            .body(Body::from(body.to_string()))
            .expect("a response from a status and a JSON body builds")
    }

    async fn dispatch(&self, request: &Request, now: OffsetDateTime) -> ApiResult<Reply> {
        let (route, params) = router::find(request.method(), request.uri().path())?;
        let principal = self.authenticate(route, request.headers(), now)?;
        let body: &[u8] = match request.body() {
            Body::Empty => &[],
            Body::Text(text) => text.as_bytes(),
            Body::Binary(bytes) => bytes,
            _ => &[],
        };
        let ctx = Ctx {
            principal,
            params,
            body,
            now,
        };
        routes::dispatch(self, route.action, &ctx).await
    }

    fn authenticate(
        &self,
        route: &Route,
        headers: &HeaderMap,
        now: OffsetDateTime,
    ) -> ApiResult<Option<Principal>> {
        let Some(roles) = route.roles else {
            return Ok(None);
        };
        let token = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::unauthenticated("unauthenticated", "Sign in first: no bearer token")
            })?;
        let principal = self.tokens.verify(token.trim(), now).map_err(|e| match e {
            TokenError::Expired => ApiError::unauthenticated(
                "token_expired",
                "Your session has expired; sign in again",
            ),
            TokenError::Malformed | TokenError::BadSignature => {
                ApiError::unauthenticated("token_invalid", "The session token is not valid")
            }
        })?;
        if !roles.contains(&principal.role) {
            return Err(ApiError::forbidden());
        }
        Ok(Some(principal))
    }
}
