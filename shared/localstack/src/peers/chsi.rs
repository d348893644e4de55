//! A receiving endpoint for publish batches, the contract `chsi::HttpGateway` speaks:
//! `POST /batches/{id}` with `Authorization: Bearer <token>`, `X-Content-SHA256` and the archive
//! as body, answered `{"receipt": "CHSI-<n>"}`. A batch id already received is answered 409 with
//! its first receipt. The peer keeps the bytes as they came and knows nothing of their format.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Log, serve};

/// One call as the peer saw it (the token is kept only as whether it was right).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRequest {
    pub batch_id: String,
    pub authorized: bool,
    pub idempotency_key: Option<String>,
    pub status: u16,
}

struct Received {
    batch_id: String,
    bytes: Bytes,
    sha256: String,
    receipt: String,
}

#[derive(Clone)]
struct Peer {
    token: String,
    failures_left: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Received>>>,
    log: Log<BatchRequest>,
}

pub struct ChsiPeer {
    pub base_url: String,
    peer: Peer,
}

impl ChsiPeer {
    /// A peer that accepts batches bearing `token`.
    pub async fn start(token: impl Into<String>) -> Self {
        let peer = Peer {
            token: token.into(),
            failures_left: Arc::default(),
            received: Arc::default(),
            log: Log::default(),
        };
        let router = axum::Router::new()
            .route("/batches/{id}", post(receive))
            // Archives hold hundreds of photos, far past axum's 2 MB default.
            .layer(DefaultBodyLimit::disable())
            .with_state(peer.clone());
        Self {
            base_url: serve(router).await,
            peer,
        }
    }

    /// The next `n` requests are answered 503, as by an overloaded endpoint.
    pub fn fail_next(&self, n: usize) {
        self.peer.failures_left.store(n, Ordering::SeqCst);
    }

    /// Batches accepted, in order of first arrival: `(batch id, archive bytes)`.
    pub fn received(&self) -> Vec<(String, Vec<u8>)> {
        self.peer
            .received
            .lock()
            .expect("received lock")
            .iter()
            .map(|r| (r.batch_id.clone(), r.bytes.to_vec()))
            .collect()
    }

    /// Every request, answered or failed.
    pub fn requests(&self) -> Vec<BatchRequest> {
        self.peer.log.entries()
    }

    pub fn attempts(&self) -> usize {
        self.requests().len()
    }
}

async fn receive(
    State(peer): State<Peer>,
    Path(batch_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorized = header("authorization") == Some(format!("Bearer {}", peer.token));
    let (status, answer) = answer(
        &peer,
        &batch_id,
        authorized,
        header("x-content-sha256"),
        body,
    );
    peer.log.push(BatchRequest {
        batch_id,
        authorized,
        idempotency_key: header("idempotency-key"),
        status: status.as_u16(),
    });
    (status, Json(answer))
}

fn answer(
    peer: &Peer,
    batch_id: &str,
    authorized: bool,
    claimed_sha256: Option<String>,
    body: Bytes,
) -> (StatusCode, Value) {
    let failing = peer
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "try again later"}),
        );
    }
    if !authorized {
        return (StatusCode::UNAUTHORIZED, json!({"error": "bad token"}));
    }
    let sha256 = format!("{:x}", Sha256::digest(&body));
    if claimed_sha256.as_deref() != Some(sha256.as_str()) {
        return (
            StatusCode::BAD_REQUEST,
            json!({"error": "x-content-sha256 does not match the body"}),
        );
    }
    let mut received = peer.received.lock().expect("received lock");
    if let Some(earlier) = received.iter().find(|r| r.batch_id == batch_id) {
        // Idempotent per batch id, as long as it is the same archive.
        return if earlier.sha256 == sha256 {
            (StatusCode::CONFLICT, json!({"receipt": earlier.receipt}))
        } else {
            (
                StatusCode::CONFLICT,
                json!({"error": "batch id already used for a different archive"}),
            )
        };
    }
    let receipt = format!("CHSI-{}", received.len() + 1);
    received.push(Received {
        batch_id: batch_id.to_owned(),
        bytes: body,
        sha256,
        receipt: receipt.clone(),
    });
    (StatusCode::OK, json!({ "receipt": receipt }))
}
