//! A proxy in front of moto that fails a share of requests the ways AWS does under load:
//! DynamoDB's `ProvisionedThroughputExceededException`, S3's `SlowDown`, a 500, and a
//! connection dropped before the request reached the service or after it was applied (the
//! nastiest: the write happened, its answer never came). Decisions come from a seeded
//! generator, so a run's share and mix are the same every time; which request gets which
//! fault depends on the order requests arrive in.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};

/// What was injected, by kind.
#[derive(Debug, Default)]
pub struct Injected {
    pub passed: AtomicU64,
    pub throttled: AtomicU64,
    pub server_errors: AtomicU64,
    pub dropped_before: AtomicU64,
    pub dropped_after: AtomicU64,
}

impl Injected {
    pub fn faults(&self) -> u64 {
        [
            &self.throttled,
            &self.server_errors,
            &self.dropped_before,
            &self.dropped_after,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
    }

    pub fn total(&self) -> u64 {
        self.faults() + self.passed.load(Ordering::Relaxed)
    }
}

/// A running proxy; requests to `endpoint` reach moto, or fail.
pub struct FaultyMoto {
    pub endpoint: String,
    pub injected: Arc<Injected>,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    rate: f64,
    rng: Arc<std::sync::Mutex<fastrand::Rng>>,
    /// Requests still to be applied with their answers lost, before any drawn fault.
    lost_answers: Arc<AtomicU64>,
    injected: Arc<Injected>,
    http: reqwest::Client,
}

enum Fault {
    Throttle,
    ServerError,
    DropBefore,
    DropAfter,
}

impl FaultyMoto {
    /// Fails `rate` of the requests to moto at `upstream` (0.05 for 5 %), drawn from `seed`.
    pub async fn start(upstream: &str, rate: f64, seed: u64) -> Self {
        Self::serve(upstream, rate, seed, 0).await
    }

    /// Applies the next `n` requests and loses their answers (the connection dropped after
    /// the write), then passes everything: a retry after a lost answer, on purpose.
    pub async fn losing_answers(upstream: &str, n: u64) -> Self {
        Self::serve(upstream, 0.0, 0, n).await
    }

    async fn serve(upstream: &str, rate: f64, seed: u64, lost_answers: u64) -> Self {
        let injected = Arc::new(Injected::default());
        let proxy = Proxy {
            upstream: upstream.trim_end_matches('/').to_owned(),
            rate,
            rng: Arc::new(std::sync::Mutex::new(fastrand::Rng::with_seed(seed))),
            lost_answers: Arc::new(AtomicU64::new(lost_answers)),
            injected: Arc::clone(&injected),
            http: crate::http_client(),
        };
        let router = axum::Router::new()
            .fallback(forward)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(proxy);
        Self {
            endpoint: crate::peers::serve(router).await,
            injected,
        }
    }
}

impl Proxy {
    fn draw(&self) -> Option<Fault> {
        let lose = |n: u64| n.checked_sub(1);
        if self
            .lost_answers
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, lose)
            .is_ok()
        {
            return Some(Fault::DropAfter);
        }
        let mut rng = self.rng.lock().expect("the generator is never poisoned");
        if rng.f64() >= self.rate {
            return None;
        }
        Some(match rng.u8(0..20) {
            0..8 => Fault::Throttle,
            8..14 => Fault::ServerError,
            14..17 => Fault::DropBefore,
            _ => Fault::DropAfter,
        })
    }
}

/// The throttling answer of the service a request is for (told by the header the SDKs send):
/// DynamoDB's and SQS's JSON errors, S3's `SlowDown`.
fn throttled(headers: &HeaderMap) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if target.starts_with("DynamoDB") {
        let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded (injected)"}"#;
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/x-amz-json-1.0")],
            body,
        )
            .into_response();
    }
    if target.starts_with("AmazonSQS") {
        let body = r#"{"__type":"com.amazonaws.sqs#RequestThrottled","message":"injected"}"#;
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/x-amz-json-1.0")],
            body,
        )
            .into_response();
    }
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate. (injected)</Message></Error>";
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [("content-type", "application/xml")],
        body,
    )
        .into_response()
}

/// A response whose body fails at once: the client sees the connection end mid-answer.
fn dropped() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped (injected)"))
    });
    Response::new(Body::from_stream(failing))
}

const HOP: [&str; 4] = ["connection", "keep-alive", "transfer-encoding", "upgrade"];

async fn forward(State(proxy): State<Proxy>, request: Request) -> Response {
    let fault = proxy.draw();
    let counter = |c: &AtomicU64| {
        c.fetch_add(1, Ordering::Relaxed);
    };
    match fault {
        Some(Fault::Throttle) => {
            counter(&proxy.injected.throttled);
            return throttled(request.headers());
        }
        Some(Fault::ServerError) => {
            counter(&proxy.injected.server_errors);
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Some(Fault::DropBefore) => {
            counter(&proxy.injected.dropped_before);
            return dropped();
        }
        Some(Fault::DropAfter) => counter(&proxy.injected.dropped_after),
        None => counter(&proxy.injected.passed),
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut outgoing = proxy
        .http
        .request(parts.method.clone(), format!("{}{path}", proxy.upstream));
    // The Host header stays the proxy's: it is what the SDK signed.
    for (name, value) in parts.headers.iter().filter(|(n, _)| passed(n)) {
        outgoing = outgoing.header(name, value);
    }
    let Ok(answer) = outgoing.body(body).send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    if matches!(fault, Some(Fault::DropAfter)) {
        return dropped();
    }
    let status = answer.status();
    let headers: Vec<_> = answer
        .headers()
        .iter()
        .filter(|(n, _)| passed(n) && *n != "content-length")
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let bytes = answer.bytes().await.unwrap_or_default();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().extend(headers);
    response
}

fn passed(name: &HeaderName) -> bool {
    !HOP.contains(&name.as_str())
}
