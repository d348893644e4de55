//! A test's own API: the real `App` over its own moto resources, with local HTTP servers
//! playing WeChat login and the identity provider. Requests are real `lambda_http` requests.

#![allow(dead_code)]

use std::sync::Arc;

use api::App;
use api::auth::{Principal, Role, Tokens};
use api::identity::HttpIdentityVerifier;
use domain::IdNumber;
use lambda_http::Body;
use lambda_http::http::{Method, Request};
use localstack::TestEnv;
use localstack::peers::{IdentityPeer, WeChatLoginPeer, WeChatPayPeer};
use payments::Payments;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use wechat::pay::PayClient;
use wechat::{LoginClient, LoginConfig};

/// Where WeChat Pay would post notifications (not called: the tests deliver them).
pub const NOTIFY_URL: &str = "https://example.invalid/v1/payments/wechatpay/notify";

pub struct Harness {
    pub env: TestEnv,
    pub app: App,
    pub wechat: WeChatLoginPeer,
    pub identity: IdentityPeer,
    pub pay: WeChatPayPeer,
    pub tokens: Tokens,
}

pub use localstack::Answer;

/// The service's identity checks per day in tests: enough that only the test about the
/// budget reaches it.
pub const IDENTITY_CHECKS_PER_DAY: u32 = 50;

pub const SECRET: &[u8] = b"a test session secret of 32+ bytes, not for production";

impl Harness {
    /// The app's clock: frozen for the test (see `TestEnv`); a test moves it with
    /// `h.env.store.clock`.
    pub fn now(&self) -> OffsetDateTime {
        self.env.store.clock.now()
    }

    pub async fn new() -> Self {
        let env = TestEnv::new().await;
        let wechat = WeChatLoginPeer::start().await;
        let identity = IdentityPeer::start().await;
        let tokens = Tokens::new(SECRET).unwrap();
        let pay = WeChatPayPeer::start("1900000109", &wechat.appid).await;
        let app = App {
            store: env.store.clone(),
            tokens: tokens.clone(),
            login: LoginClient::new(LoginConfig {
                base_url: wechat.base_url.clone(),
                appid: wechat.appid.clone(),
                secret: wechat.secret.clone(),
            }),
            verifier: Arc::new(HttpIdentityVerifier::new(
                identity.base_url.clone(),
                identity.api_key.clone(),
            )),
            identity_checks_per_day: IDENTITY_CHECKS_PER_DAY,
            payments: Payments::new(
                env.store.table.clone(),
                Arc::new(PayClient::new(
                    Arc::new(pay.config(NOTIFY_URL)),
                    localstack::http_client(),
                )),
            ),
        };
        Self {
            env,
            app,
            wechat,
            identity,
            pay,
            tokens,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Body,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request.body(body).unwrap();
        let response = self.app.handle(request).await;
        let status = response.status().as_u16();
        assert_eq!(
            response.headers()["content-type"],
            "application/json; charset=utf-8"
        );
        let body = match response.body() {
            Body::Text(text) => serde_json::from_str(text).expect("a JSON body"),
            other => panic!("unexpected body {other:?}"),
        };
        Answer { status, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), Body::Empty).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::POST, path, token, Body::Text(body.to_string()))
            .await
    }

    /// Logs a student in through WeChat and returns their token.
    pub async fn student(&self, openid: &str) -> String {
        let code = self.wechat.issue_code(openid);
        let answer = self
            .post("/v1/auth/wechat", None, json!({ "code": code }))
            .await;
        answer.ok(200)["token"].as_str().unwrap().to_owned()
    }

    pub fn staff(&self, role: Role, subject: &str) -> String {
        let principal = Principal {
            subject: subject.into(),
            role,
        };
        self.tokens.mint(&principal, self.now(), Duration::hours(1))
    }

    pub fn operator(&self) -> String {
        self.staff(Role::Operator, "ops-1")
    }

    /// Creates a task open now, with a session code of its own; returns its JSON.
    pub async fn task(&self, session_code: &str) -> Value {
        self.task_open_between(
            session_code,
            self.now() - Duration::days(1),
            self.now() + Duration::days(30),
        )
        .await
    }

    pub async fn task_open_between(
        &self,
        session_code: &str,
        opens_at: OffsetDateTime,
        closes_at: OffsetDateTime,
    ) -> Value {
        self.task_with(session_code, opens_at, closes_at, None)
            .await
    }

    /// An open task that also offers printed photos at ¥15.
    pub async fn task_offering_prints(&self, session_code: &str) -> Value {
        let print = json!({"price_fen": 1500});
        let (opens_at, closes_at) = (
            self.now() - Duration::days(1),
            self.now() + Duration::days(30),
        );
        self.task_with(session_code, opens_at, closes_at, Some(print))
            .await
    }

    async fn task_with(
        &self,
        session_code: &str,
        opens_at: OffsetDateTime,
        closes_at: OffsetDateTime,
        print: Option<Value>,
    ) -> Value {
        let mut body = json!({
            "session_code": session_code,
            "school": "华南理工大学",
            "education_level": "bachelor",
            "graduation_year": 2026,
            "fee_fen": 3000,
            "opens_at": opens_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
            "closes_at": closes_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
        });
        if let Some(print) = print {
            body["print"] = print;
        }
        self.post("/v1/tasks", Some(&self.operator()), body)
            .await
            .ok(201)
            .clone()
    }

    pub async fn import(&self, task_id: &str, csv: &str) -> Answer {
        self.call(
            Method::PUT,
            &format!("/v1/tasks/{task_id}/roster"),
            Some(&self.operator()),
            Body::Text(csv.to_owned()),
        )
        .await
    }

    /// Logs in, has the ID card read as (`name`, `id_number`), confirms it (registered with
    /// the provider) and returns the token.
    pub async fn verified_student(&self, openid: &str, name: &str, id_number: &str) -> String {
        self.identity.register(name, id_number);
        let token = self.student(openid).await;
        let card = self
            .card(&token, openid, Card::Reads(name, id_number))
            .await;
        self.post(
            "/v1/identity",
            Some(&token),
            confirm(name, id_number, &card),
        )
        .await
        .ok(200);
        token
    }

    /// Asks where to upload the ID card's photo and records what the photo processor
    /// decided on it, as the processor records it (the processor's own tests read real
    /// cards). Returns the portrait id.
    pub async fn card(&self, token: &str, openid: &str, card: Card<'_>) -> String {
        let reply = self
            .post(
                "/v1/identity/portrait",
                Some(token),
                json!({"content_type": "image/jpeg", "content_length": 300_000, "consent": consent()}),
            )
            .await;
        let portrait: domain::PortraitId = reply.ok(200)["portrait_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let checked = store::PortraitChecked {
            portrait,
            digest: store::Digest::of(format!("card of {openid}").as_bytes()),
        };
        let table = &self.env.store.table;
        let (status, problem) = match card {
            Card::Reads(name, number) => {
                let text = domain::CardText::Read {
                    name: name.to_owned(),
                    id_number: IdNumber::parse_stored(number).unwrap(),
                };
                table.put_card_text(&checked, &text).await.unwrap();
                (domain::PortraitStatus::Usable, None)
            }
            Card::Unread(problem) => {
                let text = domain::CardText::Unread(problem);
                table.put_card_text(&checked, &text).await.unwrap();
                (domain::PortraitStatus::Usable, Some(problem))
            }
            Card::Unusable(problem) => (domain::PortraitStatus::Unusable, Some(problem)),
            Card::Pending => return portrait.to_string(),
        };
        assert!(
            table
                .decide_portrait(openid, &checked, status, problem)
                .await
                .unwrap()
        );
        portrait.to_string()
    }
}

/// What the photo processor made of an ID card's photo.
#[derive(Debug, Clone, Copy)]
pub enum Card<'a> {
    /// Name and number read.
    Reads(&'a str, &'a str),
    /// The card and its face found, its text not read.
    Unread(domain::CardProblem),
    /// Not a card's portrait side with a face.
    Unusable(domain::CardProblem),
    /// Not processed yet.
    Pending,
}

/// The body of `POST /v1/identity`: the name and number confirmed from `portrait_id`.
/// The student's consent to the current privacy notice, to every purpose.
pub fn consent() -> Value {
    json!({
        "notice_version": domain::privacy::current().version,
        "purposes": ["identity_check", "face_photo", "face_comparison"],
    })
}

pub fn confirm(name: &str, id_number: &str, portrait_id: &str) -> Value {
    json!({"name": name, "id_number": id_number, "portrait_id": portrait_id})
}

/// A valid, made-up ID number from its first 17 characters.
pub fn id_number(body: &str) -> String {
    IdNumber::complete(body).expect("a 17-digit body")
}

/// A session code of this test's own: session codes are unique per table, and each test has its
/// own table, so any fixed code works; this one varies to catch accidental sharing.
pub fn session_code() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{:08}", nanos % 100_000_000)
}
