//! The HTTP functions as they run locally, each under `cargo lambda watch` on a given local
//! stack: the API, with local stand-ins for WeChat login, WeChat Pay and the identity provider;
//! the payment webhook, where WeChat Pay's notifications are delivered; and the review
//! function, which takes the same staff tokens as the API.

use api::auth::{Principal, Role, Tokens};
use localstack::StackNames;
use localstack::peers::{IdentityPeer, SignedNotification, WeChatLoginPeer, WeChatPayPeer};
use localstack::watch::WatchedFunction;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Answer, Body, Error};

/// The webhook's route (`infra/template.yaml`).
const NOTIFY_PATH: &str = "/v1/payments/wechatpay/notify";

pub struct LocalApi {
    pub function: WatchedFunction,
    pub wechat: WeChatLoginPeer,
    pub identity: IdentityPeer,
    pub pay: WeChatPayPeer,
    pub webhook: WatchedFunction,
    pub review: WatchedFunction,
    tokens: Tokens,
    http: reqwest::Client,
}

impl LocalApi {
    pub async fn start(stack: &StackNames) -> Result<Self, Error> {
        let wechat = WeChatLoginPeer::start().await;
        let identity = IdentityPeer::start().await;
        let pay = WeChatPayPeer::start("1900000109", &wechat.appid).await;
        // WeChat Pay's side needs no more than the table and its keys.
        let mut webhook_env = stack.function_env();
        webhook_env.extend(pay.vars("(not called)"));
        let webhook =
            WatchedFunction::start("payment-webhook", "payment-webhook", &webhook_env).await?;
        let notify_url = format!("{}{NOTIFY_PATH}", webhook.base_url);
        // A signing secret of this run's own: tokens from an earlier run are worthless.
        let secret = format!("local-{}-{}", ulid::Ulid::new(), ulid::Ulid::new());
        let mut env = stack.function_env();
        env.extend(
            [
                ("SESSION_SECRET", secret.as_str()),
                ("WECHAT_API_BASE", &wechat.base_url),
                ("WECHAT_APPID", &wechat.appid),
                ("WECHAT_SECRET", &wechat.secret),
                ("IDENTITY_API_BASE", &identity.base_url),
                ("IDENTITY_CHECKS_PER_DAY", "1000"),
                ("IDENTITY_API_KEY", &identity.api_key),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let mut review_env = stack.function_env();
        review_env.push(("SESSION_SECRET".into(), secret.clone()));
        review_env.push(("CONSOLE_BUCKET".into(), stack.console_bucket.clone()));
        let review = WatchedFunction::start("review", "review", &review_env).await?;
        env.extend(pay.vars(&notify_url));
        let function = WatchedFunction::start("api", "api", &env).await?;
        Ok(Self {
            function,
            wechat,
            identity,
            pay,
            webhook,
            review,
            tokens: Tokens::new(secret.as_bytes())?,
            http: localstack::http_client(),
        })
    }

    /// Posts a WeChat Pay notification to the payment webhook, as WeChat Pay does; returns
    /// the status (204 when recorded).
    pub async fn notify(&self, notification: &SignedNotification) -> Result<u16, Error> {
        let url = format!("{}{NOTIFY_PATH}", self.webhook.base_url);
        let response = notification.deliver(&self.http, &url).await?;
        Ok(response.status().as_u16())
    }

    /// The case as its student sees it (`GET /v1/collections/{id}`).
    pub async fn case(&self, token: &str, case: domain::CollectionId) -> Result<Value, Error> {
        let path = format!("/v1/collections/{case}");
        self.send("GET", &path, Some(token), Body::None)
            .await?
            .expect(200)
    }

    /// What `mint-token --role operator` would print for this run's secret.
    pub fn operator_token(&self) -> String {
        self.staff_token("ops-demo", Role::Operator)
    }

    /// What `mint-token --role reviewer --subject <reviewer>` would print.
    pub fn reviewer_token(&self, reviewer: &str) -> String {
        self.staff_token(reviewer, Role::Reviewer)
    }

    /// What `mint-token --role retoucher --subject <retoucher>` would print.
    pub fn retoucher_token(&self, retoucher: &str) -> String {
        self.staff_token(retoucher, Role::Retoucher)
    }

    fn staff_token(&self, subject: &str, role: Role) -> String {
        let principal = Principal {
            subject: subject.into(),
            role,
        };
        self.tokens.mint(
            &principal,
            OffsetDateTime::now_utc(),
            time::Duration::hours(1),
        )
    }

    /// A student's `wx.login()` and the API's session for it.
    pub async fn login(&self, openid: &str) -> Result<String, Error> {
        let code = self.wechat.issue_code(openid);
        let session = self
            .send(
                "POST",
                "/v1/auth/wechat",
                None,
                Body::Json(json!({ "code": code })),
            )
            .await?
            .expect(200)?;
        Ok(session["token"]
            .as_str()
            .ok_or("login answered without a token")?
            .to_owned())
    }

    /// A request to the API.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Body,
    ) -> Result<Answer, Error> {
        self.call(&self.function, method, path, token, body).await
    }

    /// A request to the review function (`/v1/review/…`).
    pub async fn send_review(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Body,
    ) -> Result<Answer, Error> {
        self.call(&self.review, method, path, Some(token), body)
            .await
    }

    async fn call(
        &self,
        function: &WatchedFunction,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Body,
    ) -> Result<Answer, Error> {
        let url = format!("{}{path}", function.base_url);
        let mut request = self.http.request(method.parse()?, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request = match body {
            Body::None => request,
            Body::Json(value) => request
                .header("content-type", "application/json")
                .body(value.to_string()),
            Body::Csv(text) => request
                .header("content-type", "text/csv; charset=utf-8")
                .body(text),
        };
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        let body = serde_json::from_slice(&bytes)
            .map_err(|e| format!("HTTP {status} with a body that is not JSON ({e})"))?;
        Ok(Answer { status, body })
    }
}
