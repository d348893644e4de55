//! WeChat Pay's notification endpoint (`POST /v1/payments/wechatpay/notify`). WeChat Pay
//! reads only the status: 204 means "recorded, stop sending", anything else means "send it
//! again" (for up to a day). So only a notification that could be recorded later gets a 5xx;
//! one that is not provably WeChat's own gets a 4xx, which WeChat's deliberate signature probes
//! expect.

use std::time::Duration;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use payments::{Payments, Rejected};
use time::OffsetDateTime;

/// WeChat Pay gives up on an answer after 5 s; answer "retry" before that rather than not at all.
const DEADLINE: Duration = Duration::from_millis(4500);

/// Notifications are about 1 KB; anything much larger is not one.
const BODY_LIMIT: usize = 64 * 1024;

pub struct Webhook {
    payments: Payments,
}

impl Webhook {
    pub fn new(payments: Payments) -> Self {
        Self { payments }
    }

    /// Builds the webhook from the function's environment (see `infra/template.yaml`).
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let sdk = aws_config::load_from_env().await;
        let config = store::Config::load(&sdk).await?;
        let store = store::Store::with_sdk_config(&sdk, config);
        Ok(Self::new(payments::from_env(&sdk, store.table).await?))
    }

    /// Answers one delivery. Never fails and never panics: every problem is a status.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        self.handle_at(request, OffsetDateTime::now_utc()).await
    }

    /// [`Webhook::handle`] at a given time (the tests' fixtures are signed at fixed times).
    pub async fn handle_at(&self, request: Request, now: OffsetDateTime) -> Response<Body> {
        if request.method() != Method::POST {
            return answer(StatusCode::METHOD_NOT_ALLOWED, "METHOD", "POST only");
        }
        let body: &[u8] = match request.body() {
            Body::Text(text) => text.as_bytes(),
            Body::Binary(bytes) => bytes,
            _ => &[],
        };
        if body.len() > BODY_LIMIT {
            return answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                "TOO_LARGE",
                "not a notification",
            );
        }
        let headers = request.headers();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let received = tokio::time::timeout(DEADLINE, self.payments.receive(header, body, now));
        match received.await {
            Ok(Ok(outcome)) => {
                tracing::debug!(?outcome, "notification handled");
                Response::builder()
                    .status(StatusCode::NO_CONTENT)
                    .body(Body::Empty)
                    .expect("an empty response builds")
            }
            Ok(Err(rejected)) => refusal(rejected),
            Err(_) => {
                tracing::error!("notification not handled within the deadline");
                answer(StatusCode::SERVICE_UNAVAILABLE, "RETRY", "try again later")
            }
        }
    }
}

fn refusal(rejected: Rejected) -> Response<Body> {
    match rejected {
        // Headers and ids only: the body may hold a payer's data.
        Rejected::Unverified(reason) => {
            tracing::warn!(%reason, "notification refused: not verified");
            answer(
                StatusCode::UNAUTHORIZED,
                "SIGN_ERROR",
                "signature not verified",
            )
        }
        Rejected::Replayed => {
            tracing::warn!("notification refused: replayed nonce");
            answer(StatusCode::UNAUTHORIZED, "REPLAYED", "nonce already used")
        }
        Rejected::Malformed(reason) => {
            tracing::warn!(%reason, "notification refused: malformed");
            answer(StatusCode::BAD_REQUEST, "MALFORMED", "not a notification")
        }
        Rejected::Failed(err) => {
            tracing::error!(error = %err, transient = err.is_transient(), "notification not recorded");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "RETRY",
                "not recorded; send it again",
            )
        }
    }
}

/// WeChat Pay's failure answer: `{code, message}`.
fn answer(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(
            serde_json::json!({ "code": code, "message": message }).to_string(),
        ))
        .expect("a response from a status and a JSON body builds")
}
