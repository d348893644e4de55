//! Warm `GET /v1/collections/{id}`: how long the handler takes, and how much of it is our own
//! work rather than waiting for DynamoDB (moto here). Run:
//!
//! ```text
//! cargo bench -p api --bench get_collection
//! ```
//!
//! Three figures over the same warm case: the whole request through `App::handle` (with its
//! reads from moto), those reads alone, and the handler's own work alone (token check, routing,
//! the masked view, JSON) on the data the reads return. Moto's latency is not DynamoDB's; the
//! figure that belongs to us is the last.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use api::App;
use api::auth::{Principal, Role, Tokens};
use api::identity::HttpIdentityVerifier;
use api::views::CaseView;
use domain::{
    Actor, Collection, EducationLevel, Enrollment, IdNumber, NewTask, PhotoProfile, RosterRow,
    SessionCode,
};
use lambda_http::Body;
use lambda_http::http::{Method, Request};
use localstack::TestEnv;
use localstack::peers::WeChatPayPeer;
use payments::Payments;
use time::OffsetDateTime;
use wechat::pay::PayClient;
use wechat::{LoginClient, LoginConfig};

const ROUNDS: usize = 300;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    let p50 = percentile(&mut samples, 0.50);
    let p95 = percentile(&mut samples, 0.95);
    println!(
        "{name:<44} p50 {:>9.1} µs   p95 {:>9.1} µs",
        micros(p50),
        micros(p95)
    );
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let now = OffsetDateTime::now_utc();
    let task = domain::CollectionTask::create(NewTask {
        session_code: SessionCode::parse("20260001").unwrap(),
        school: "华南理工大学".into(),
        education_level: EducationLevel::Bachelor,
        graduation_year: 2026,
        fee_fen: 3000,
        profile: PhotoProfile::default(),
        print: None,
        opens_at: now - time::Duration::days(1),
        closes_at: now + time::Duration::days(30),
    })
    .unwrap();
    table.create_task(&task).await.unwrap();
    let id = IdNumber::complete("44010620040517123").unwrap();
    let row = Enrollment::from_row(
        task.id,
        &RosterRow {
            student_number: "2022001",
            name: "张三",
            id_number: &id,
            school: &task.school,
            education_level: task.education_level,
            major: "软件工程",
            chsi_code: "",
        },
        now.date(),
    )
    .unwrap();
    table
        .put_enrollments(std::slice::from_ref(&row))
        .await
        .unwrap();
    let (case, created) = Collection::open(
        task.id,
        row.student_number.clone(),
        "o-bench".into(),
        Actor::Student,
        now,
    );
    table.open_collection(&case, &created).await.unwrap();

    let tokens = Tokens::new(&[7u8; 32]).unwrap();
    // Not called by this route either.
    let pay = WeChatPayPeer::start("1900000109", "wx0123456789abcdef").await;
    let app = App {
        store: env.store.clone(),
        tokens: tokens.clone(),
        // Not called by this route.
        login: LoginClient::new(LoginConfig {
            base_url: "http://127.0.0.1:9".into(),
            appid: "wx".into(),
            secret: "unused".into(),
        }),
        verifier: Arc::new(HttpIdentityVerifier::new("http://127.0.0.1:9", "unused")),
        identity_checks_per_day: 1000,
        payments: Payments::new(
            env.store.table.clone(),
            Arc::new(PayClient::new(
                Arc::new(pay.config("https://example.invalid/notify")),
                localstack::http_client(),
            )),
        ),
    };
    let principal = Principal {
        subject: "o-bench".into(),
        role: Role::Student,
    };
    let token = tokens.mint(&principal, now, time::Duration::hours(2));
    let path = format!("/v1/collections/{}", case.id);
    let request = || {
        Request::builder()
            .method(Method::GET)
            .uri(&path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::Empty)
            .unwrap()
    };
    // Warm up: connections, caches, allocator.
    for _ in 0..20 {
        assert_eq!(app.handle(request()).await.status(), 200);
    }

    let mut whole = Vec::with_capacity(ROUNDS);
    let mut reads = Vec::with_capacity(ROUNDS);
    let mut own = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        black_box(app.handle(request()).await);
        whole.push(started.elapsed());

        let started = Instant::now();
        // The handler's reads, as it makes them: the case, then task and row together.
        let c = table.collection(case.id).await.unwrap();
        let (t, e) = tokio::try_join!(
            table.task(c.task_id),
            table.enrollment(c.task_id, &c.student_number)
        )
        .unwrap();
        reads.push(started.elapsed());

        let started = Instant::now();
        let who = tokens.verify(&token, OffsetDateTime::now_utc()).unwrap();
        let (route, params) = web::router::find(api::router::ROUTES, &Method::GET, &path).unwrap();
        black_box((route, params, &who));
        assert_eq!(c.owner, who.subject);
        let body = serde_json::to_string(&CaseView::new(&c, &t, &e)).unwrap();
        black_box(body);
        own.push(started.elapsed());
    }
    println!("warm GET /v1/collections/{{id}}, {ROUNDS} rounds, one thread, moto on 127.0.0.1");
    report("whole request (App::handle, with moto)", whole);
    report("its DynamoDB reads alone (moto)", reads);
    report("own work alone (token, route, view, JSON)", own);
}
