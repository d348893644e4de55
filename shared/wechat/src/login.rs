//! Mini program login: `wx.login()` gives the client a one-time code, which the server trades
//! for the user's openid at `jscode2session`.

use serde::Deserialize;

/// Where and as whom to call WeChat.
#[derive(Clone)]
pub struct LoginConfig {
    /// `https://api.weixin.qq.com` in production.
    pub base_url: String,
    pub appid: String,
    /// The mini program's AppSecret.
    pub secret: String,
}

impl std::fmt::Debug for LoginConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginConfig")
            .field("base_url", &self.base_url)
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

/// Who logged in. WeChat's `session_key` is deliberately dropped: the service never needs to
/// decrypt the client's data, and a key it does not hold cannot leak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub openid: String,
    pub unionid: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The code is wrong, used or expired (40029, 40163): the client must call `wx.login()`
    /// again.
    #[error("the login code is invalid or was already used (errcode {0})")]
    InvalidCode(i64),
    /// WeChat limits calls per user (45011).
    #[error("WeChat is rate-limiting this user")]
    RateLimited,
    /// System busy (-1) or unreachable: worth trying again.
    #[error("WeChat is unavailable: {0}")]
    Unavailable(String),
    /// Anything else WeChat refused (a wrong AppSecret, say): our configuration, not the user.
    #[error("WeChat refused the call: errcode {code}: {message}")]
    Refused { code: i64, message: String },
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    openid: Option<String>,
    #[serde(default)]
    unionid: Option<String>,
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

#[derive(Debug, Clone)]
pub struct LoginClient {
    config: LoginConfig,
    http: reqwest::Client,
}

impl LoginClient {
    pub fn new(config: LoginConfig) -> Self {
        Self {
            config,
            http: crate::http_client(std::time::Duration::from_secs(4)),
        }
    }

    /// Trades a `wx.login()` code for the user's openid.
    pub async fn code_to_session(&self, code: &str) -> Result<Session, LoginError> {
        let url = format!(
            "{}/sns/jscode2session",
            self.config.base_url.trim_end_matches('/')
        );
        let response = self
            .http
            .get(url)
            .query(&[
                ("appid", self.config.appid.as_str()),
                ("secret", self.config.secret.as_str()),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ])
            .send()
            .await
            // reqwest's error would print the URL, and with it the AppSecret.
            .map_err(|e| LoginError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(LoginError::Unavailable(format!("HTTP {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| LoginError::Unavailable(e.without_url().to_string()))?;
        let reply: Reply = serde_json::from_slice(&body).map_err(|e| {
            LoginError::Unavailable(format!("unreadable reply: {}", crate::json::problem(&e)))
        })?;
        match (reply.errcode, reply.openid) {
            (0, Some(openid)) if !openid.is_empty() => Ok(Session {
                openid,
                unionid: reply.unionid,
            }),
            (0, _) => Err(LoginError::Unavailable("reply without openid".into())),
            (code @ (40029 | 40163), _) => Err(LoginError::InvalidCode(code)),
            (45011, _) => Err(LoginError::RateLimited),
            (-1, _) => Err(LoginError::Unavailable(reply.errmsg)),
            (code, _) => Err(LoginError::Refused {
                code,
                message: reply.errmsg,
            }),
        }
    }
}
