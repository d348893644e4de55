//! WeChat's subscribe messages (订阅消息) for mini programs: `POST /cgi-bin/stable_token` hands
//! out access tokens for the appid and secret, and `POST /cgi-bin/message/subscribe/send`
//! checks the token and the message as WeChat does. Tests script refusals, outages and token
//! expiry through Rust methods.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::{Log, serve};

/// A message WeChat accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveredMessage {
    pub touser: String,
    pub template_id: String,
    pub page: String,
    /// As sent: `{"thing1": {"value": "…"}, …}`.
    pub data: Value,
    pub miniprogram_state: String,
    pub lang: String,
}

/// Tokens, scripted behaviour and counters.
#[derive(Default)]
struct Books {
    /// The stable token handed out while it is valid.
    current: Option<String>,
    valid: HashSet<String>,
    tokens_issued: usize,
    attempts: usize,
    refused: HashSet<String>,
    fail_next: usize,
    busy_next: usize,
}

#[derive(Clone)]
struct Peer {
    appid: String,
    secret: String,
    books: Arc<Mutex<Books>>,
    delivered: Log<DeliveredMessage>,
}

impl Peer {
    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().expect("books lock")
    }
}

pub struct WeChatMessagePeer {
    pub base_url: String,
    pub appid: String,
    pub secret: String,
    peer: Peer,
}

impl WeChatMessagePeer {
    pub async fn start() -> Self {
        let peer = Peer {
            appid: "wx-local-app".into(),
            secret: format!("secret-{}", ulid::Ulid::new()),
            books: Arc::default(),
            delivered: Log::default(),
        };
        let router = axum::Router::new()
            .route("/cgi-bin/stable_token", post(stable_token))
            .route("/cgi-bin/message/subscribe/send", post(send))
            .with_state(peer.clone());
        Self {
            base_url: serve(router).await,
            appid: peer.appid.clone(),
            secret: peer.secret.clone(),
            peer,
        }
    }

    /// The service's configuration for this peer.
    pub fn config(&self) -> wechat::MessageConfig {
        wechat::MessageConfig {
            base_url: self.base_url.clone(),
            appid: self.appid.clone(),
            secret: self.secret.clone(),
        }
    }

    /// `openid` has not accepted (or has used up) the subscription: 43101.
    pub fn refuse(&self, openid: &str) {
        self.peer.books().refused.insert(openid.to_owned());
    }

    /// The next `n` sends answer HTTP 503.
    pub fn fail_next(&self, n: usize) {
        self.peer.books().fail_next = n;
    }

    /// The next `n` sends answer errcode -1, system busy.
    pub fn busy_next(&self, n: usize) {
        self.peer.books().busy_next = n;
    }

    /// Every token handed out so far becomes invalid (40001), as after a forced refresh.
    pub fn expire_tokens(&self) {
        let mut books = self.peer.books();
        books.valid.clear();
        books.current = None;
    }

    /// Messages accepted, in order.
    pub fn delivered(&self) -> Vec<DeliveredMessage> {
        self.peer.delivered.entries()
    }

    /// Send requests received, whatever their answer.
    pub fn attempts(&self) -> usize {
        self.peer.books().attempts
    }

    /// `stable_token` calls answered with a token.
    pub fn tokens_issued(&self) -> usize {
        self.peer.books().tokens_issued
    }
}

fn error(code: i64, message: &str) -> Response {
    Json(json!({"errcode": code, "errmsg": message})).into_response()
}

async fn stable_token(State(peer): State<Peer>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(47001, "data format error");
    };
    let field = |name: &str| request[name].as_str().unwrap_or_default();
    if field("appid") != peer.appid || field("secret") != peer.secret {
        return error(40125, "invalid appsecret");
    }
    if field("grant_type") != "client_credential" {
        return error(40002, "invalid grant_type");
    }
    let mut books = peer.books();
    // A stable token stays the same while valid; only a forced refresh replaces it.
    let reuse = !request["force_refresh"].as_bool().unwrap_or(false);
    let token = match books.current.clone().filter(|_| reuse) {
        Some(token) => token,
        None => {
            let token = format!("token-{}", ulid::Ulid::new());
            if let Some(old) = books.current.replace(token.clone()) {
                books.valid.remove(&old);
            }
            books.valid.insert(token.clone());
            token
        }
    };
    books.tokens_issued += 1;
    Json(json!({"access_token": token, "expires_in": 7200})).into_response()
}

async fn send(
    State(peer): State<Peer>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    {
        let mut books = peer.books();
        books.attempts += 1;
        if books.fail_next > 0 {
            books.fail_next -= 1;
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        if books.busy_next > 0 {
            books.busy_next -= 1;
            return error(-1, "system error");
        }
        let token = query.get("access_token").map(String::as_str);
        if !token.is_some_and(|token| books.valid.contains(token)) {
            return error(
                40001,
                "invalid credential, access_token is invalid or not latest",
            );
        }
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(47001, "data format error");
    };
    let field = |name: &str| request[name].as_str().unwrap_or_default().to_owned();
    let message = DeliveredMessage {
        touser: field("touser"),
        template_id: field("template_id"),
        page: field("page"),
        data: request["data"].clone(),
        miniprogram_state: field("miniprogram_state"),
        lang: field("lang"),
    };
    if message.touser.is_empty() {
        return error(40003, "invalid openid");
    }
    if message.template_id.is_empty() {
        return error(40037, "invalid template_id");
    }
    if let Err(keyword) = check_data(&message.data) {
        return error(
            47003,
            &format!("argument invalid! data.{keyword}.value invalid"),
        );
    }
    if peer.books().refused.contains(&message.touser) {
        return error(43101, "user refuse to accept the msg");
    }
    peer.delivered.push(message);
    error(0, "ok")
}

/// Every keyword needs a string value within its type's limit (`thing` 20 characters,
/// `phrase` 5); returns the first keyword that fails.
fn check_data(data: &Value) -> Result<(), String> {
    let keywords = data.as_object().ok_or_else(|| "data".to_owned())?;
    for (keyword, value) in keywords {
        let value = value["value"].as_str().ok_or_else(|| keyword.clone())?;
        let limit = if keyword.starts_with("thing") {
            20
        } else if keyword.starts_with("phrase") {
            5
        } else {
            usize::MAX
        };
        if value.chars().count() > limit {
            return Err(keyword.clone());
        }
    }
    Ok(())
}
