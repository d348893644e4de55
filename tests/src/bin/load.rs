//! `scripts/load.sh`: the evening rush on one machine. A stack of its own (moto, every HTTP
//! function under `cargo lambda watch`, the local gateway in front), then students walking
//! the service as the mini program does — login, profile, identity check, link, payment (paid
//! at the local WeChat Pay, whose notification reaches the webhook), photo upload through the
//! presigned URL, polling, submission — and reviewers taking cases and approving them, all
//! through the gateway, for a bounded time. The photo engine is not run: what the processor
//! writes for a passed photo is written directly (its cost is the processor's benchmark).
//! Prints throughput, p50/p95/p99 per step, the share of each step the API spent waiting on
//! the store (its `Server-Timing`, which on this machine is moto), errors by code, and checks
//! the table's consistency at the end.
//!
//! Arguments: `[seconds] [workers] [students]` (defaults 60, 16, 400); loopback only.
//! `FAULTS=0.05` puts the fault proxy between the functions and moto (that share of their AWS
//! calls throttled, failed or dropped; the count printed includes the set-up's calls through the
//! functions and the presigned S3 requests); the harness's direct writes (the processor's
//! stand-in, ID cards) and the closing check go to moto directly.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::{
    AttemptId, CardText, CheckOutcome, CollectionId, Command, IdNumber, Portrait, PortraitId,
    PortraitStatus, Student,
};
use e2e::Functions;
use e2e::seed::{Person, person, roster_csv};
use localstack::TestEnv;
use localstack::faults::FaultyMoto;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use store::{Along, Checked, Digest, FaceOf, PortraitChecked, Processing, Store};

/// One request's outcome, by step.
#[derive(Default)]
struct Samples {
    /// Wall time at the client, and the store's share the API reported, in ms.
    latencies: Vec<(f64, Option<(f64, f64)>)>,
    errors: BTreeMap<String, u64>,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<BTreeMap<&'static str, Samples>>>);

impl Recorder {
    fn record(
        &self,
        step: &'static str,
        took: Duration,
        timing: Option<(f64, f64)>,
        error: Option<String>,
    ) {
        let mut all = self.0.lock().unwrap();
        let samples = all.entry(step).or_default();
        samples
            .latencies
            .push((took.as_secs_f64() * 1000.0, timing));
        if let Some(error) = error {
            *samples.errors.entry(error).or_default() += 1;
        }
    }
}

/// A client of the gateway that records every request.
#[derive(Clone)]
struct Client {
    base: String,
    http: reqwest::Client,
    recorder: Recorder,
}

impl Client {
    async fn call(
        &self,
        step: &'static str,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Option<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let started = Instant::now();
        let answer = request.send().await;
        let took = started.elapsed();
        let Ok(answer) = answer else {
            self.recorder
                .record(step, took, None, Some("connection".into()));
            return None;
        };
        let timing = answer
            .headers()
            .get("server-timing")
            .and_then(|v| v.to_str().ok())
            .and_then(server_timing);
        let status = answer.status();
        let bytes = answer.bytes().await.unwrap_or_default();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let error = (!status.is_success()).then(|| {
            format!(
                "{} {}",
                status.as_u16(),
                body["code"].as_str().unwrap_or("")
            )
        });
        self.recorder.record(step, took, timing, error.clone());
        error.is_none().then_some(body)
    }
}

/// `aws;dur=…, app;dur=…` as (aws, app) in ms.
fn server_timing(header: &str) -> Option<(f64, f64)> {
    let value = |name: &str| {
        header.split(',').find_map(|part| {
            part.trim()
                .strip_prefix(name)?
                .strip_prefix(";dur=")?
                .parse::<f64>()
                .ok()
        })
    };
    Some((value("aws")?, value("app")?))
}

/// One face descriptor for every photo and card: the face match is not what is measured.
fn descriptor() -> Vec<f32> {
    (0..128).map(|i| (i as f32 / 128.0).sin()).collect()
}

/// What the processor leaves for a passed photo, written directly: the engine is not run.
async fn processed(store: &Store, case: CollectionId, attempt: AttemptId, photo: &[u8]) {
    let checked = Checked {
        collection: case,
        attempt,
        digest: Digest::of(photo),
    };
    let objects = &store.objects;
    for key in [checked.standardised_key(), checked.preview_key()] {
        let _ = objects
            .put_photo_object(&key, "image/jpeg", photo.to_vec())
            .await;
    }
    let _ = store
        .table
        .put_face(FaceOf::Attempt(attempt, checked.digest), &descriptor())
        .await;
    let system = domain::Actor::System("photo-processor".into());
    let now = store.clock.now();
    let marker = Processing {
        collection_id: case,
        attempt_id: attempt,
        since: now,
    };
    let begin = Command::BeginProcessing {
        attempt_id: attempt,
    };
    let _ = store
        .table
        .transition_along(
            case,
            begin,
            system.clone(),
            now,
            &[Along::Processing(&marker)],
        )
        .await;
    let passed = Command::RecordCheck {
        attempt_id: attempt,
        outcome: CheckOutcome::Passed {
            review_flags: vec![],
        },
    };
    let along = [Along::Evidence(&checked), Along::Processed(attempt)];
    let _ = store
        .table
        .transition_along(case, passed, system, now, &along)
        .await;
}

/// A student whose ID card's photo was read (what the processor leaves), ready to confirm it.
async fn with_card(store: &Store, openid: &str, who: &Person) {
    let card = format!("card of {openid}").into_bytes();
    let portrait = PortraitChecked {
        portrait: PortraitId::new(),
        digest: Digest::of(&card),
    };
    let student = Student {
        openid: openid.to_owned(),
        identity: None,
        portrait: Some(Portrait {
            id: portrait.portrait,
            status: PortraitStatus::Usable,
            sha256: Some(portrait.digest.to_string()),
            problem: None,
        }),
    };
    store.table.put_student(&student).await.expect("a student");
    let read = CardText::Read {
        name: who.name.clone(),
        id_number: IdNumber::parse_stored(&who.id_number).expect("a valid number"),
    };
    store
        .table
        .put_card_text(&portrait, &read)
        .await
        .expect("a card");
    let descriptor: Vec<f32> = (0..128).map(|i| (i as f32 / 128.0).sin()).collect();
    store
        .table
        .put_face(
            FaceOf::Portrait(portrait.portrait, portrait.digest),
            &descriptor,
        )
        .await
        .expect("a face");
}

/// One student from login to a submitted photo; `false` if a step failed (recorded).
async fn student(client: &Client, fns: &Functions, store: &Store, who: &Person, n: usize) -> bool {
    use reqwest::Method as M;
    let api = &fns.api;
    let openid = format!("o-load-{n}");
    with_card(store, &openid, who).await;
    let code = api.wechat.issue_code(&openid);
    let Some(login) = client
        .call(
            "login",
            M::POST,
            "/v1/auth/wechat",
            None,
            Some(json!({"code": code})),
        )
        .await
    else {
        return false;
    };
    let token = login["token"].as_str().unwrap_or_default().to_owned();
    let t = Some(token.as_str());
    let Some(me) = client.call("me", M::GET, "/v1/me", t, None).await else {
        return false;
    };
    let portrait = me["id_card"]["portrait_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    api.identity.register(&who.name, &who.id_number);
    let consent = json!({
        "notice_version": domain::privacy::current().version,
        "purposes": ["identity_check", "face_photo", "face_comparison"],
    });
    let identity = json!({"name": who.name, "id_number": who.id_number, "portrait_id": portrait, "consent": consent});
    if client
        .call("identity", M::POST, "/v1/identity", t, Some(identity))
        .await
        .is_none()
    {
        return false;
    }
    let Some(linked) = client
        .call("link", M::POST, "/v1/links/roster", t, Some(json!({})))
        .await
    else {
        return false;
    };
    let case: CollectionId = match linked["collections"][0]["collection"]["id"]
        .as_str()
        .map(str::parse)
    {
        Some(Ok(id)) => id,
        _ => return false,
    };
    let pay = format!("/v1/collections/{case}/payment");
    let Some(checkout) = client
        .call("payment", M::POST, &pay, t, Some(json!({"print": false})))
        .await
    else {
        return false;
    };
    let order = checkout["order_no"].as_str().unwrap_or_default();
    let Some(notification) = api.pay.pay(order) else {
        return false;
    };
    let started = Instant::now();
    let delivered = notification
        .deliver(
            &client.http,
            &format!("{}/v1/payments/wechatpay/notify", client.base),
        )
        .await;
    let error = match &delivered {
        Ok(answer) if answer.status().as_u16() == 204 => None,
        Ok(answer) => Some(answer.status().as_u16().to_string()),
        Err(_) => Some("connection".into()),
    };
    client
        .recorder
        .record("notify", started.elapsed(), None, error.clone());
    if error.is_some() {
        return false;
    }
    let attempts = format!("/v1/collections/{case}/attempts");
    let body = json!({"content_type": "image/jpeg", "content_length": e2e::PHOTO.len()});
    let Some(started) = client
        .call("attempt", M::POST, &attempts, t, Some(body))
        .await
    else {
        return false;
    };
    let attempt: AttemptId = match started["attempt_id"].as_str().map(str::parse) {
        Some(Ok(id)) => id,
        _ => return false,
    };
    let upload = &started["upload"];
    let mut put = client
        .http
        .put(upload["url"].as_str().unwrap_or_default())
        .body(e2e::PHOTO.to_vec());
    for pair in upload["headers"].as_array().into_iter().flatten() {
        put = put.header(
            pair[0].as_str().unwrap_or_default(),
            pair[1].as_str().unwrap_or_default(),
        );
    }
    let began = Instant::now();
    let stored = through_s3(put).await.is_some();
    client.recorder.record(
        "upload (S3)",
        began.elapsed(),
        None,
        (!stored).then(|| "put".into()),
    );
    processed(store, case, attempt, e2e::PHOTO).await;
    let view = format!("/v1/collections/{case}");
    let mut shown = Value::Null;
    for _ in 0..3 {
        shown = client
            .call("case (poll)", M::GET, &view, t, None)
            .await
            .unwrap_or(Value::Null);
    }
    let link = shown["attempts"][0]["standardised"]["url"]
        .as_str()
        .unwrap_or_default();
    let Some(photo) = through_s3(client.http.get(link)).await else {
        return false;
    };
    let sha = hex(&Sha256::digest(photo));
    let submit = format!("/v1/collections/{case}/submit");
    let body = json!({"attempt_id": attempt.to_string(), "standardised_sha256": sha});
    client
        .call("submit", M::POST, &submit, t, Some(body))
        .await
        .is_some()
}

/// A request to S3 through a presigned URL, tried three times as the mini program tries an
/// upload or a download (S3 may answer SlowDown or drop the connection): the body of the
/// first success.
async fn through_s3(request: reqwest::RequestBuilder) -> Option<Vec<u8>> {
    for _ in 0..3 {
        let answer = request.try_clone()?.send().await;
        if let Ok(answer) = answer.and_then(reqwest::Response::error_for_status)
            && let Ok(body) = answer.bytes().await
        {
            return Some(body.to_vec());
        }
    }
    None
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A reviewer taking the next case of `task` and approving it, until `until`.
async fn reviewer(client: Client, token: String, task: String, until: Instant) {
    use reqwest::Method as M;
    let t = Some(token.as_str());
    while Instant::now() < until {
        let next = format!("/v1/review/tasks/{task}/next");
        let Some(case) = client.call("review next", M::POST, &next, t, None).await else {
            // An idle reviewer asks again a moment later, as the console does; a client's
            // pace in the load mix, not a wait in a test.
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let id = case["collection_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        client
            .call(
                "review case",
                M::GET,
                &format!("/v1/review/cases/{id}"),
                t,
                None,
            )
            .await;
        let approve = format!("/v1/review/cases/{id}/approve");
        client
            .call("review approve", M::POST, &approve, t, Some(json!({})))
            .await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> Result<(), e2e::Error> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let seconds = *args.first().unwrap_or(&60);
    let workers = *args.get(1).unwrap_or(&16) as usize;
    let students = *args.get(2).unwrap_or(&400) as usize;

    let env = TestEnv::new().await;
    let rate: f64 = std::env::var("FAULTS").map_or(0.0, |f| f.parse().expect("a rate"));
    let faulty = if rate > 0.0 {
        Some(FaultyMoto::start(&env.stack_names().endpoint, rate, 2026).await)
    } else {
        None
    };
    let (store, stack) = match &faulty {
        Some(faulty) => env.behind(&faulty.endpoint).await,
        None => (env.store.clone(), env.stack_names()),
    };
    let fns = Arc::new(Functions::start(&store, &stack).await?);
    let now = time::OffsetDateTime::now_utc();
    let task = fns.api.create_task("广州大学", "20267000", now).await?;
    let task_id = task["id"].as_str().ok_or("a task")?.to_owned();
    let people: Vec<Person> = (0..students as u32).map(|n| person("7000", n)).collect();
    fns.api
        .import_roster(&task_id, &roster_csv(&people))
        .await?;
    eprintln!("load: {students} students on the roster, {workers} workers, {seconds} s");

    let client = Client {
        base: fns.http_api.base_url.clone(),
        http: localstack::http_client(),
        recorder: Recorder::default(),
    };
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let people = Arc::new(people);
    let mut running = Vec::new();
    for _ in 0..workers {
        let (client, fns, next, people, store) = (
            client.clone(),
            Arc::clone(&fns),
            Arc::clone(&next),
            Arc::clone(&people),
            env.store.clone(),
        );
        running.push(tokio::spawn(async move {
            let mut done = 0;
            while Instant::now() < until {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(who) = people.get(n) else { break };
                done += usize::from(student(&client, &fns, &store, who, n).await);
            }
            done
        }));
    }
    let reviewers: Vec<_> = (0..3)
        .map(|r| {
            let token = fns.api.reviewer_token(&format!("reviewer-{r}"));
            tokio::spawn(reviewer(client.clone(), token, task_id.clone(), until))
        })
        .collect();
    let mut submitted = 0;
    for task in running {
        submitted += task.await.unwrap_or(0);
    }
    for task in reviewers {
        task.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();

    let all = std::mem::take(&mut *client.recorder.0.lock().unwrap());
    let requests: usize = all.values().map(|s| s.latencies.len()).sum();
    println!(
        "\n{requests} requests in {elapsed:.1} s: {:.1} req/s; {submitted} students submitted\n",
        requests as f64 / elapsed
    );
    println!(
        "{:<16} {:>6} {:>8} {:>8} {:>8} {:>10} {:>10} {:>7}",
        "step", "n", "p50 ms", "p95 ms", "p99 ms", "store p50", "own p99", "errors"
    );
    for (step, samples) in all.iter() {
        let mut wall: Vec<f64> = samples.latencies.iter().map(|(ms, _)| *ms).collect();
        wall.sort_by(f64::total_cmp);
        let mut store_ms: Vec<f64> = samples
            .latencies
            .iter()
            .filter_map(|(_, t)| t.map(|(aws, _)| aws))
            .collect();
        store_ms.sort_by(f64::total_cmp);
        let mut own: Vec<f64> = samples
            .latencies
            .iter()
            .filter_map(|(_, t)| t.map(|(aws, app)| (app - aws).max(0.0)))
            .collect();
        own.sort_by(f64::total_cmp);
        let errors: u64 = samples.errors.values().sum();
        println!(
            "{step:<16} {:>6} {:>8.1} {:>8.1} {:>8.1} {:>10.1} {:>10.1} {:>7}",
            wall.len(),
            percentile(&wall, 0.50),
            percentile(&wall, 0.95),
            percentile(&wall, 0.99),
            percentile(&store_ms, 0.50),
            percentile(&own, 0.99),
            errors
        );
        for (code, n) in &samples.errors {
            println!("{:<16}   {n} × {code}", "");
        }
    }
    if let Some(faulty) = &faulty {
        let injected = &faulty.injected;
        println!(
            "\nfaults: {} of {} AWS calls of the functions: {injected:?}",
            injected.faults(),
            injected.total()
        );
    }
    let report = localstack::consistency::check(&env.dynamodb(), env.store.table.name()).await;
    println!(
        "\nconsistency: {} cases ({} paid), {} events: {}",
        report.cases,
        report.paid_cases,
        report.events,
        if report.holds() {
            "holds".to_owned()
        } else {
            format!("{:#?}", report.problems)
        }
    );
    if !report.holds() {
        return Err("the table is not consistent".into());
    }
    Ok(())
}
