//! WeChat's `GET /sns/jscode2session`, as documented for mini programs: it checks the appid
//! and secret, accepts each issued code once, and answers errors with `errcode`/`errmsg`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Query, State};
use axum::routing::get;
use serde_json::{Value, json};

use super::{Log, serve};

/// One call as WeChat saw it (the secret is kept only as whether it was right).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRequest {
    pub appid: String,
    pub secret_ok: bool,
    pub js_code: String,
    pub grant_type: String,
}

#[derive(Clone)]
struct Peer {
    appid: String,
    secret: String,
    codes: Arc<Mutex<HashMap<String, String>>>,
    log: Log<LoginRequest>,
}

pub struct WeChatLoginPeer {
    pub base_url: String,
    pub appid: String,
    pub secret: String,
    peer: Peer,
}

impl WeChatLoginPeer {
    pub async fn start() -> Self {
        let peer = Peer {
            appid: "wx-local-app".into(),
            secret: format!("secret-{}", ulid::Ulid::new()),
            codes: Arc::default(),
            log: Log::default(),
        };
        let router = axum::Router::new()
            .route("/sns/jscode2session", get(jscode2session))
            .with_state(peer.clone());
        Self {
            base_url: serve(router).await,
            appid: peer.appid.clone(),
            secret: peer.secret.clone(),
            peer,
        }
    }

    /// What `wx.login()` would give the user with `openid` on their phone: a one-time code.
    pub fn issue_code(&self, openid: &str) -> String {
        let code = format!("code-{}", ulid::Ulid::new());
        self.peer
            .codes
            .lock()
            .expect("codes lock")
            .insert(code.clone(), openid.to_owned());
        code
    }

    pub fn requests(&self) -> Vec<LoginRequest> {
        self.peer.log.entries()
    }
}

async fn jscode2session(
    State(peer): State<Peer>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let field = |name: &str| query.get(name).cloned().unwrap_or_default();
    let request = LoginRequest {
        appid: field("appid"),
        secret_ok: field("secret") == peer.secret,
        js_code: field("js_code"),
        grant_type: field("grant_type"),
    };
    peer.log.push(request.clone());
    if request.appid != peer.appid || !request.secret_ok {
        return Json(json!({"errcode": 40125, "errmsg": "invalid appsecret"}));
    }
    if request.grant_type != "authorization_code" {
        return Json(json!({"errcode": 40002, "errmsg": "invalid grant_type"}));
    }
    // A code works once, as on WeChat.
    let openid = peer
        .codes
        .lock()
        .expect("codes lock")
        .remove(&request.js_code);
    match openid {
        Some(openid) => Json(json!({
            "openid": openid,
            "session_key": "bG9jYWwtc2Vzc2lvbi1rZXk=",
        })),
        None => Json(json!({"errcode": 40029, "errmsg": "invalid code"})),
    }
}
