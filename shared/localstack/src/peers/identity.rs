//! An identity provider (身份核验): told a name and an ID number, it says whether they belong
//! together. The contract is the one `functions/api`'s adapter speaks:
//! `POST /v1/id/verify` with `Authorization: Bearer <key>` and `{"name", "id_number"}`,
//! answered `{"result": "match" | "mismatch" | "not_found"}`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};

use super::{Log, serve};

/// One call as the provider saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRequest {
    pub authorized: bool,
    pub name: String,
    pub id_number: String,
}

#[derive(Clone)]
struct Peer {
    key: String,
    people: Arc<Mutex<HashMap<String, String>>>,
    log: Log<IdentityRequest>,
}

pub struct IdentityPeer {
    pub base_url: String,
    pub api_key: String,
    peer: Peer,
}

impl IdentityPeer {
    pub async fn start() -> Self {
        let peer = Peer {
            key: format!("key-{}", ulid::Ulid::new()),
            people: Arc::default(),
            log: Log::default(),
        };
        let router = axum::Router::new()
            .route("/v1/id/verify", post(verify))
            .with_state(peer.clone());
        Self {
            base_url: serve(router).await,
            api_key: peer.key.clone(),
            peer,
        }
    }

    /// Registers a citizen: `id_number` belongs to `name`.
    pub fn register(&self, name: &str, id_number: &str) {
        self.peer
            .people
            .lock()
            .expect("people lock")
            .insert(id_number.to_owned(), name.to_owned());
    }

    pub fn requests(&self) -> Vec<IdentityRequest> {
        self.peer.log.entries()
    }
}

async fn verify(
    State(peer): State<Peer>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {}", peer.key));
    let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default();
    let request = IdentityRequest {
        authorized,
        name: text("name").to_owned(),
        id_number: text("id_number").to_owned(),
    };
    peer.log.push(request.clone());
    if !authorized {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad key"})));
    }
    let known = peer
        .people
        .lock()
        .expect("people lock")
        .get(&request.id_number)
        .cloned();
    let result = match known {
        None => "not_found",
        Some(name) if name == request.name => "match",
        Some(_) => "mismatch",
    };
    (StatusCode::OK, Json(json!({ "result": result })))
}
