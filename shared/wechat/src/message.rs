//! Subscribe messages (订阅消息): a one-off notice to a user who accepted the template in the
//! mini program (`wx.requestSubscribeMessage`), sent with `subscribeMessage.send`.
//!
//! The access token comes from `stable_token` rather than `token`: several Lambda containers
//! fetch it independently, and a stable token fetched by one does not invalidate another's.

use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;
use time::macros::{format_description, offset};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Errcodes meaning the access token is invalid (40001, 40014) or expired (42001).
const TOKEN_REJECTED: [i64; 3] = [40001, 40014, 42001];

/// Tokens are dropped this long before WeChat says they expire, so none dies in flight.
const TOKEN_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Where and as whom to call WeChat.
#[derive(Clone)]
pub struct MessageConfig {
    /// `https://api.weixin.qq.com` in production.
    pub base_url: String,
    pub appid: String,
    /// The mini program's AppSecret.
    pub secret: String,
}

impl std::fmt::Debug for MessageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageConfig")
            .field("base_url", &self.base_url)
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

/// How often `send` tries when WeChat is unavailable: `attempts` in all, waiting
/// `first_delay` before the second and twice as long before each further one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub first_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 3,
            first_delay: Duration::from_millis(200),
        }
    }
}

impl Retry {
    /// The waits between attempts, doubling from `first_delay`.
    fn schedule(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.first_delay)
            .with_factor(2.0)
            .with_max_times(self.attempts.saturating_sub(1) as usize)
    }
}

/// Which version of the mini program the message's `page` opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MiniProgramState {
    /// 正式版.
    Formal,
    /// 体验版.
    Trial,
    /// 开发版.
    Developer,
}

/// One message for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeMessage {
    /// The recipient's openid.
    pub touser: String,
    pub template_id: String,
    /// The mini program page the message opens, with its query (`pages/case/index?id=…`);
    /// empty for none.
    pub page: String,
    /// The template's keywords and values in order (`("thing1", thing(…))`); values must keep
    /// to their keyword type's limits (see [`thing`], [`phrase`], [`time_value`]).
    pub data: Vec<(String, String)>,
    pub state: MiniProgramState,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The user did not accept this template, or used up what they accepted (43101): trying
    /// again cannot help; the caller records that the user was not told.
    #[error("the user has not subscribed to this template (errcode 43101)")]
    NotSubscribed,
    /// Any other errcode (40003 unknown openid, 47003 bad data, 40037 unknown template, …): the
    /// message itself or our configuration is wrong, so it is not retried.
    #[error("WeChat refused the message: errcode {code}: {message}")]
    Refused { code: i64, message: String },
    /// Unreachable, HTTP errors, system busy (-1), rate limits (45009) or no access token:
    /// returned only after the last attempt.
    #[error("WeChat is unavailable: {0}")]
    Unavailable(String),
}

impl SendError {
    /// Worth trying again later, unchanged.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// A `thing` value (事物): at most 20 characters.
pub fn thing(value: &str) -> String {
    shorten(value, 20)
}

/// A `phrase` value (汉字): at most 5 characters.
pub fn phrase(value: &str) -> String {
    shorten(value, 5)
}

/// A `time` value (时间): `2026-11-21 14:30`, in China time, the time the user lives in.
pub fn time_value(at: OffsetDateTime) -> String {
    at.to_offset(offset!(+8))
        .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
        .expect("a four-digit year formats")
}

/// WeChat counts characters, not bytes, and refuses a longer value outright (47003), so a long
/// value is cut and marked as cut rather than lost with the whole message.
fn shorten(value: &str, max_chars: usize) -> String {
    if value.chars().count() <= max_chars {
        return value.to_owned();
    }
    let mut cut: String = value.chars().take(max_chars - 1).collect();
    cut.push('…');
    cut
}

/// Sends subscribe messages, holding the access token for all of them. Clones share the token.
#[derive(Clone)]
pub struct MessageClient {
    config: MessageConfig,
    http: reqwest::Client,
    retry: Retry,
    token: Arc<Mutex<Option<Token>>>,
}

impl std::fmt::Debug for MessageClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageClient")
            .field("config", &self.config)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// An access token and when to stop using it. No `Debug`: it must not reach a log.
struct Token {
    value: String,
    fresh_until: Instant,
}

#[derive(Serialize)]
struct Body<'a> {
    touser: &'a str,
    template_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    page: &'a str,
    #[serde(serialize_with = "keywords")]
    data: &'a [(String, String)],
    miniprogram_state: MiniProgramState,
    lang: &'static str,
}

/// `data` as WeChat wants it: `{"thing1": {"value": "…"}, …}`, in the template's order.
fn keywords<S: Serializer>(data: &&[(String, String)], serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Value<'a> {
        value: &'a str,
    }
    serializer.collect_map(
        data.iter()
            .map(|(keyword, value)| (keyword, Value { value })),
    )
}

#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: u64,
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

#[derive(Deserialize)]
struct SendReply {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

impl SendReply {
    fn into_result(self) -> Result<(), SendError> {
        match self.errcode {
            0 => Ok(()),
            43101 => Err(SendError::NotSubscribed),
            // Busy, rate-limited, or a token rejected even right after it was fetched (another
            // system forcing a refresh): each passes, so a later attempt may succeed.
            code @ (-1 | 45009) => Err(unavailable(code, &self.errmsg)),
            code if TOKEN_REJECTED.contains(&code) => Err(unavailable(code, &self.errmsg)),
            code => Err(SendError::Refused {
                code,
                message: self.errmsg,
            }),
        }
    }
}

fn unavailable(code: i64, errmsg: &str) -> SendError {
    SendError::Unavailable(format!("errcode {code}: {errmsg}"))
}

impl MessageClient {
    pub fn new(config: MessageConfig) -> Self {
        Self {
            config,
            http: crate::http_client(Duration::from_secs(4)),
            retry: Retry::default(),
            token: Arc::default(),
        }
    }

    pub fn with_retry(self, retry: Retry) -> Self {
        Self { retry, ..self }
    }

    /// Sends `message`, trying again with back-off while WeChat is unavailable.
    pub async fn send(&self, message: &SubscribeMessage) -> Result<(), SendError> {
        let body = Body {
            touser: &message.touser,
            template_id: &message.template_id,
            page: &message.page,
            data: &message.data,
            miniprogram_state: message.state,
            lang: "zh_CN",
        };
        (|| self.send_once(&body))
            .retry(self.retry.schedule())
            .when(SendError::is_transient)
            .notify(|error, wait| {
                tracing::warn!(%error, ?wait, "subscribe message not sent; trying again");
            })
            .await
    }

    /// One attempt: with the cached token, and once more with a new one if WeChat rejects it.
    async fn send_once(&self, body: &Body<'_>) -> Result<(), SendError> {
        let token = self.token().await?;
        let reply = self.post_send(body, &token).await?;
        if !TOKEN_REJECTED.contains(&reply.errcode) {
            return reply.into_result();
        }
        tracing::info!(
            errcode = reply.errcode,
            "access token rejected; fetching a new one"
        );
        self.forget(&token).await;
        let token = self.token().await?;
        self.post_send(body, &token).await?.into_result()
    }

    async fn post_send(&self, body: &Body<'_>, token: &str) -> Result<SendReply, SendError> {
        let request = self.post_json("/cgi-bin/message/subscribe/send", body);
        self.send_request(request.query(&[("access_token", token)]))
            .await
    }

    /// The cached token, or a new one. The lock is held while fetching, so concurrent sends
    /// wait for one fetch instead of each making their own.
    async fn token(&self) -> Result<String, SendError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.fresh_until) {
            return Ok(token.value.clone());
        }
        let request = self.post_json(
            "/cgi-bin/stable_token",
            &serde_json::json!({
                "grant_type": "client_credential",
                "appid": self.config.appid,
                "secret": self.config.secret,
                "force_refresh": false,
            }),
        );
        let reply: TokenReply = self.send_request(request).await?;
        let value = match (reply.errcode, reply.access_token) {
            (0, Some(value)) if !value.is_empty() => value,
            (0, _) => {
                return Err(SendError::Unavailable(
                    "stable_token without a token".into(),
                ));
            }
            (code, _) => return Err(unavailable(code, &reply.errmsg)),
        };
        let lifetime = Duration::from_secs(reply.expires_in).saturating_sub(TOKEN_MARGIN);
        *cached = Some(Token {
            value: value.clone(),
            fresh_until: Instant::now() + lifetime,
        });
        Ok(value)
    }

    /// Drops `token` from the cache, unless a concurrent send has already replaced it.
    async fn forget(&self, token: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.value == token) {
            *cached = None;
        }
    }

    fn post_json(&self, path: &str, body: &impl Serialize) -> reqwest::RequestBuilder {
        let url = format!("{}{path}", self.config.base_url.trim_end_matches('/'));
        self.http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(body).expect("string keys and values serialise"))
    }

    /// Sends `request` and reads its JSON reply; anything short of that is `Unavailable`.
    async fn send_request<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, SendError> {
        // reqwest's errors would print the URL, and with it the access token.
        let transport = |e: reqwest::Error| SendError::Unavailable(e.without_url().to_string());
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(SendError::Unavailable(format!("HTTP {status}")));
        }
        let body = response.bytes().await.map_err(transport)?;
        serde_json::from_slice(&body).map_err(|e| {
            SendError::Unavailable(format!("unreadable reply: {}", crate::json::problem(&e)))
        })
    }
}
