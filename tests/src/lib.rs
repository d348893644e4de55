//! The journey of one student's case through the system, on whatever stack it is given. The
//! demo prints it; the end-to-end tests check it. It grows with each part of the system: the
//! API (served by `cargo lambda watch`) runs the student's and operator's steps over HTTP; the
//! photo processor checks the real photo uploaded to S3, fed from the uploads queue; the student
//! pays through a local WeChat Pay whose notification reaches the payment webhook; review and
//! publishing are still driven through the store until their functions land.

mod local_api;
mod local_processor;

pub use local_api::LocalApi;
pub use local_processor::LocalProcessor;
pub use localstack::StackNames;

use domain::{Actor, AttemptId, BatchId, Collection, CollectionId, Command, IdNumber};
use serde_json::{Value, json};
use store::{Store, StoreError};
use time::OffsetDateTime;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// What the journey left behind, for checks.
pub struct Journey {
    pub task_id: String,
    pub collection: CollectionId,
}

/// A small roster, as a school would send it (CSV, Chinese headers). The ID numbers are made up
/// with valid check characters (GB 11643); nobody real has them.
fn roster_csv() -> Result<(String, Vec<(String, String)>), Error> {
    let rows = [
        (
            "2022110101",
            "张三",
            "44010620040517123",
            "计算机科学与技术",
        ),
        ("2022110102", "李四", "11010520031109246", "软件工程"),
        (
            "2022110103",
            "欧阳娜娜",
            "31011520040229008",
            "数字媒体技术",
        ),
    ];
    let mut csv = String::from("学号,姓名,身份证号,专业\n");
    let mut people = Vec::new();
    for (number, name, body, major) in rows {
        let id = IdNumber::complete(body).ok_or("bad demo ID body")?;
        csv.push_str(&format!("{number},{name},{id},{major}\n"));
        people.push((name.to_owned(), id));
    }
    Ok((csv, people))
}

/// The student's phone photo and ID-card portrait: a real photo of the engine's test set
/// (CC BY 4.0, see shared/photo/tests/fixtures/ATTRIBUTION.md).
const PHOTO: &[u8] = include_bytes!("../../shared/photo/tests/fixtures/pass_frontal_woman_02.jpg");

/// Walks one student from roster to `Published`, reporting each step to `say`.
pub async fn walk(
    store: &Store,
    api: &LocalApi,
    photos: &LocalProcessor,
    now: OffsetDateTime,
    say: &mut dyn FnMut(String),
) -> Result<Journey, Error> {
    let table = &store.table;
    let ops = api.operator_token();

    // A session code of its own per run, so the demo can run again on a running stack.
    let code = format!("{:08}", now.unix_timestamp() % 100_000_000);
    let rfc3339 = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let task = api
        .send(
            "POST",
            "/v1/tasks",
            Some(&ops),
            Body::Json(json!({
                "session_code": code,
                "school": "华南理工大学",
                "education_level": "bachelor",
                "graduation_year": 2026,
                "fee_fen": 3000,
                "opens_at": rfc3339(now - time::Duration::days(1)),
                "closes_at": rfc3339(now + time::Duration::days(60)),
            })),
        )
        .await?
        .expect(201)?;
    let task_id = text(&task["id"])?;
    say(format!(
        "operator  POST /v1/tasks → task {task_id} for {} (session code {code}, fee ¥{:.2})",
        task["school"].as_str().unwrap_or_default(),
        task["fee_fen"].as_f64().unwrap_or_default() / 100.0
    ));

    let (csv, people) = roster_csv()?;
    let roster_path = format!("/v1/tasks/{task_id}/roster");
    for _ in 0..2 {
        let imported = api
            .send("PUT", &roster_path, Some(&ops), Body::Csv(csv.clone()))
            .await?
            .expect(200)?;
        say(format!(
            "operator  PUT {roster_path} → {} rows imported",
            imported["imported"]
        ));
    }
    say("          (the second import changed nothing: rows are keyed by 学号)".into());

    let (name, id_number) = &people[0];
    let openid = format!("o-demo-{task_id}");
    let token = api.login(&openid).await?;
    say(format!(
        "student   POST /v1/auth/wechat → session for {openid} (2 h)"
    ));

    api.identity.register(name, id_number);
    let identity = api
        .send(
            "POST",
            "/v1/identity",
            Some(&token),
            Body::Json(json!({
                "name": name,
                "id_number": id_number,
                "portrait": {"content_type": "image/jpeg", "content_length": PHOTO.len()},
            })),
        )
        .await?
        .expect(200)?;
    say(format!(
        "student   POST /v1/identity → verified as {} {} (stored sealed; shown masked)",
        text(&identity["name"])?,
        text(&identity["id_number"])?
    ));
    let status = put(&identity["upload"], PHOTO).await?;
    say(format!(
        "student   PUT ID-card portrait to the presigned URL → HTTP {status}"
    ));
    photos.process(1).await?;
    let me = api
        .send("GET", "/v1/me", Some(&token), Body::None)
        .await?
        .expect(200)?;
    say(format!(
        "processor  S3 → SQS → photo-processor: ID-card portrait {}",
        text(&me["portrait"])?
    ));

    let link_by_roster = || async {
        api.send(
            "POST",
            "/v1/links/roster",
            Some(&token),
            Body::Json(json!({})),
        )
        .await?
        .expect(200)
    };
    let linked = link_by_roster().await?;
    let case_json = &linked["collections"][0]["collection"];
    let case_id: CollectionId = text(&case_json["id"])?.parse()?;
    say(format!(
        "student   POST /v1/links/roster → case {case_id}: 学号 {}, {} ({}), next step: {}",
        text(&case_json["enrollment"]["student_number"])?,
        text(&case_json["task"]["education_level_zh"])?,
        text(&case_json["enrollment"]["major"])?,
        text(&case_json["next_step"])?
    ));
    let again = link_by_roster().await?;
    say(format!(
        "student   POST /v1/links/roster again → same case: {}",
        again["collections"][0]["collection"]["id"] == case_json["id"]
    ));

    let mut case_steps = Steps {
        table,
        case: case_id,
        say,
    };
    let payment_path = format!("/v1/collections/{case_id}/payment");
    let checkout = api
        .send("POST", &payment_path, Some(&token), Body::Json(json!({})))
        .await?
        .expect(200)?;
    let order_no = text(&checkout["order_no"])?;
    case_steps.say(format!(
        "student   POST {payment_path} → order {order_no}, {} fen, wx.requestPayment signed ({})",
        checkout["amount_fen"],
        text(&checkout["payment"]["signType"])?
    ));
    let notification = api
        .pay
        .pay(order_no)
        .ok_or("the local WeChat Pay does not know the order")?;
    let status = api.notify(&notification).await?;
    if status != 204 {
        return Err(format!("the payment webhook answered {status}, not 204").into());
    }
    case_steps.say(format!(
        "wechatpay the student pays; TRANSACTION.SUCCESS → payment-webhook → {status}; the case is {}",
        text(&api.case(&token, case_id).await?["status"])?
    ));

    let attempts_path = format!("/v1/collections/{case_id}/attempts");
    let started = api
        .send(
            "POST",
            &attempts_path,
            Some(&token),
            Body::Json(json!({
                "content_type": "image/jpeg",
                "content_length": PHOTO.len(),
            })),
        )
        .await?
        .expect(201)?;
    let attempt: AttemptId = text(&started["attempt_id"])?.parse()?;
    let status = put(&started["upload"], PHOTO).await?;
    case_steps.say(format!(
        "student   POST {attempts_path} → attempt {attempt}; PUT photo to S3 → HTTP {status}"
    ));

    photos.process(1).await?;
    let case = api.case(&token, case_id).await?;
    let checked = case["attempts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"] == attempt.to_string()))
        .ok_or("the case does not list the attempt")?;
    case_steps.say(format!(
        "processor  S3 → SQS → photo-processor: attempt {}, standardised to 480×640 ({})",
        text(&checked["status"])?,
        store::objects::standardised_photo_key(case_id, attempt),
    ));

    let submitted = api
        .send(
            "POST",
            &format!("/v1/collections/{case_id}/submit"),
            Some(&token),
            Body::Json(json!({ "attempt_id": attempt.to_string() })),
        )
        .await?
        .expect(200)?;
    case_steps.say(format!(
        "student   POST /v1/collections/{case_id}/submit → {}, next step: {}",
        text(&submitted["status"])?,
        text(&submitted["next_step"])?
    ));

    let now = OffsetDateTime::now_utc();
    // Two reviewers decide on the same snapshot: exactly one decision is written.
    let current = table.collection(case_id).await?;
    let a = current.apply(
        Command::Approve {
            reviewer: "reviewer-1".into(),
        },
        Actor::Reviewer("reviewer-1".into()),
        now,
    )?;
    let b = current.apply(
        Command::Approve {
            reviewer: "reviewer-2".into(),
        },
        Actor::Reviewer("reviewer-2".into()),
        now,
    )?;
    table.save(&a).await?;
    match table.save(&b).await {
        Err(StoreError::Conflict { .. }) => case_steps.say(format!(
            "  v{:<2} {:<22} {} → {} (reviewer-2's concurrent approval got a conflict)",
            a.next.version,
            "approve",
            a.event.from.map_or("-", |s| s.as_str()),
            a.next.status
        )),
        other => return Err(format!("the second approval should conflict, got {other:?}").into()),
    }

    let batch = BatchId::new();
    let publisher = Actor::System("publisher".into());
    case_steps
        .step(Command::Batch { batch_id: batch }, publisher.clone())
        .await?;
    case_steps
        .step(Command::AcknowledgePublished { batch_id: batch }, publisher)
        .await?;

    let case = api.case(&token, case_id).await?;
    case_steps.say(format!(
        "student   GET /v1/collections/{case_id} → {}, published: {}",
        text(&case["status"])?,
        case["publishing"]["published"]
    ));
    let events = api
        .send(
            "GET",
            &format!("/v1/collections/{case_id}/events"),
            Some(&ops),
            Body::None,
        )
        .await?
        .expect(200)?;
    case_steps.say("operator  GET …/events → the audit trail (never rewritten):".into());
    for event in events["events"].as_array().into_iter().flatten() {
        let kind = event["command"]["type"].as_str().unwrap_or("created");
        let actor = match &event["actor"] {
            Value::Object(a) => format!(
                "{} {}",
                a.get("kind").and_then(Value::as_str).unwrap_or_default(),
                a.get("id").and_then(Value::as_str).unwrap_or_default()
            ),
            other => other.to_string(),
        };
        case_steps.say(format!(
            "  v{:<2} {} {kind:<22} {:<16} by {}",
            event["version"],
            text(&event["at"])?.get(11..19).unwrap_or_default(),
            text(&event["to"])?,
            actor.trim()
        ));
    }
    Ok(Journey {
        task_id: task_id.to_owned(),
        collection: case_id,
    })
}

/// A request body.
pub enum Body {
    None,
    Json(Value),
    Csv(String),
}

/// An answer from the API.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The body, if the status is `expected`; else an error with what the API said.
    pub fn expect(self, expected: u16) -> Result<Value, Error> {
        if self.status == expected {
            Ok(self.body)
        } else {
            Err(format!(
                "expected HTTP {expected}, got {}: {}",
                self.status, self.body
            )
            .into())
        }
    }
}

fn text(value: &Value) -> Result<&str, Error> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a string, got {value}").into())
}

/// Uploads `bytes` to a presigned PUT as the API described it (URL and headers).
async fn put(upload: &Value, bytes: &[u8]) -> Result<u16, Error> {
    let mut request = localstack::http_client()
        .put(text(&upload["url"])?)
        .body(bytes.to_vec());
    for pair in upload["headers"].as_array().into_iter().flatten() {
        request = request.header(text(&pair[0])?, text(&pair[1])?);
    }
    let status = request.send().await?.status();
    if !status.is_success() {
        return Err(format!("the presigned upload failed: HTTP {status}").into());
    }
    Ok(status.as_u16())
}

/// Applies commands to one case and reports each transition.
struct Steps<'a> {
    table: &'a store::Table,
    case: CollectionId,
    say: &'a mut dyn FnMut(String),
}

impl Steps<'_> {
    fn say(&mut self, line: String) {
        (self.say)(line)
    }

    async fn step(&mut self, command: Command, actor: Actor) -> Result<Collection, Error> {
        let name = command.name();
        let t = self
            .table
            // The store's steps happen between the API's, so they take the real time too.
            .transition(self.case, command, actor, OffsetDateTime::now_utc())
            .await?;
        self.say(transition_line(&t, name, ""));
        Ok(t.next)
    }
}

fn transition_line(t: &domain::Transition, name: &str, note: &str) -> String {
    let from = t.event.from.map_or("-", |s| s.as_str());
    format!(
        "  v{:<2} {name:<22} {from} → {}{note}",
        t.next.version, t.next.status
    )
}
