//! The journey of one student's case through the system, on whatever stack it is given. The
//! demo prints it; the end-to-end tests check it. Every step goes through the function that
//! owns it, run as Lambda runs it: the API, the payment webhook and the review function over
//! HTTP under `cargo lambda watch`; the photo processor fed from the uploads queue; the
//! notifier fed from the table's stream; the publisher invoked as its schedule would. Outside
//! parties (WeChat, WeChat Pay, the identity provider, 学信网) are local HTTP servers.

mod local_api;
mod local_notifier;
mod local_processor;
mod local_publisher;
pub mod seed;
mod steps;

pub use steps::{PHOTO, id_card, id_card_of};

pub use local_api::LocalApi;
pub use local_notifier::LocalNotifier;
pub use local_processor::LocalProcessor;
pub use local_publisher::LocalPublisher;
pub use localstack::StackNames;
use localstack::gateway::LocalHttpApi;
use seed::Person;

use domain::{CollectionId, IdNumber};
use serde_json::{Value, json};
use store::Store;
use time::OffsetDateTime;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Every function of the service, running locally on one stack, and the HTTP API in front of
/// the HTTP ones (where the console is).
pub struct Functions {
    pub api: LocalApi,
    pub photos: LocalProcessor,
    pub notifier: LocalNotifier,
    pub publisher: LocalPublisher,
    pub http_api: LocalHttpApi,
}

impl Functions {
    /// Starts them all (the first start compiles the binaries `cargo lambda watch` serves),
    /// with the console's files copied to its bucket as a deployment does.
    pub async fn start(store: &Store, stack: &StackNames) -> Result<Self, Error> {
        let api = LocalApi::start(stack).await?;
        let http_api = LocalHttpApi::start(&[
            ("ApiFunction", &api.function.base_url),
            ("PaymentWebhookFunction", &api.webhook.base_url),
            ("ReviewFunction", &api.review.base_url),
        ])
        .await?;
        let sdk = localstack::sdk_config(&stack.endpoint).await;
        localstack::upload_console(&sdk, &stack.console_bucket).await?;
        Ok(Self {
            api,
            photos: LocalProcessor::start(store, stack).await?,
            notifier: LocalNotifier::start(stack).await?,
            publisher: LocalPublisher::start(stack).await?,
            http_api,
        })
    }

    /// The console's address on the local HTTP API.
    pub fn console_url(&self) -> String {
        format!("{}/console", self.http_api.base_url)
    }
}

/// What the journey left behind, for checks.
pub struct Journey {
    pub task_id: String,
    pub openid: String,
    pub collection: CollectionId,
}

/// A small roster, as a school would send it (CSV, Chinese headers). The ID numbers are made up
/// with valid check characters (GB 11643); nobody real has them.
fn roster() -> Result<Vec<Person>, Error> {
    [
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
    ]
    .into_iter()
    .map(|(number, name, body, major)| {
        Ok(Person {
            student_number: number.into(),
            name: name.into(),
            id_number: IdNumber::complete(body).ok_or("bad demo ID body")?,
            major: major.into(),
        })
    })
    .collect()
}

/// Walks one student from roster to `Published`, reporting each step to `say`.
pub async fn walk(
    fns: &mut Functions,
    now: OffsetDateTime,
    say: &mut dyn FnMut(String),
) -> Result<Journey, Error> {
    let (api, photos) = (&fns.api, &fns.photos);

    // A session code of its own per run, so the demo can run again on a running stack.
    let code = format!("{:08}", now.unix_timestamp() % 100_000_000);
    let task = api.create_task("华南理工大学", &code, now).await?;
    let task_id = text(&task["id"])?;
    say(format!(
        "operator  POST /v1/tasks → task {task_id} for {} (session code {code}, fee ¥{:.2})",
        task["school"].as_str().unwrap_or_default(),
        task["fee_fen"].as_f64().unwrap_or_default() / 100.0
    ));

    let people = roster()?;
    let csv = seed::roster_csv(&people);
    for _ in 0..2 {
        let imported = api.import_roster(task_id, &csv).await?;
        say(format!(
            "operator  PUT /v1/tasks/{task_id}/roster → {} rows imported",
            imported["imported"]
        ));
    }
    say("          (the second import changed nothing: rows are keyed by 学号)".into());

    let Person {
        name, id_number, ..
    } = &people[0];
    let openid = format!("o-demo-{task_id}");
    let token = api.login(&openid).await?;
    say(format!(
        "student   POST /v1/auth/wechat → session for {openid} (2 h)"
    ));

    api.identity.register(name, id_number);
    let (portrait, status) = api
        .upload_id_card(&token, &steps::id_card(name, id_number)?)
        .await?;
    say(format!(
        "student   POST /v1/identity/portrait; PUT a photo of the ID card (人像面) → HTTP {status}"
    ));
    photos.process(1).await?;
    let me = api
        .send("GET", "/v1/me", Some(&token), Body::None)
        .await?
        .expect(200)?;
    // The student's client shows the reading in full to prefill the form; the demo masks it.
    let read = &me["id_card"]["read"];
    say(format!(
        "processor  S3 → SQS → photo-processor: the card is {}; GET /v1/me → it reads {} {}",
        text(&me["id_card"]["status"])?,
        domain::mask_name(text(&read["name"])?),
        IdNumber::parse_stored(text(&read["id_number"])?)?.masked(),
    ));
    let identity = api
        .confirm_identity(&token, name, id_number, &portrait)
        .await?;
    say(format!(
        "student   POST /v1/identity → confirmed and verified as {} {}, the card {} (stored sealed; shown masked)",
        text(&identity["name"])?,
        text(&identity["id_number"])?,
        text(&identity["id_card"])?
    ));

    let linked = api.link_by_roster(&token).await?;
    let case_json = &linked["collections"][0]["collection"];
    let case_id: CollectionId = text(&case_json["id"])?.parse()?;
    say(format!(
        "student   POST /v1/links/roster → case {case_id}: 学号 {}, {} ({}), next step: {}",
        text(&case_json["enrollment"]["student_number"])?,
        text(&case_json["task"]["education_level_zh"])?,
        text(&case_json["enrollment"]["major"])?,
        text(&case_json["next_step"])?
    ));
    let again = api.link_by_roster(&token).await?;
    say(format!(
        "student   POST /v1/links/roster again → same case: {}",
        again["collections"][0]["collection"]["id"] == case_json["id"]
    ));

    // Printed photos too: the address first (sealed; shown masked to anyone else), then one
    // payment for both.
    let address = api.put_address(&token, case_id, name).await?;
    say(format!(
        "student   PUT /v1/collections/{case_id}/address → {}{}{}… (sealed; operators see it masked)",
        text(&address["address"]["province"])?,
        text(&address["address"]["city"])?,
        text(&address["address"]["district"])?,
    ));
    let (checkout, status) = api.pay_case_with(&token, case_id, true).await?;
    say(format!(
        "student   POST /v1/collections/{case_id}/payment {{\"print\": true}} → order {}, {} fen with prints, wx.requestPayment signed ({})",
        text(&checkout["order_no"])?,
        checkout["amount_fen"],
        text(&checkout["payment"]["signType"])?
    ));
    say(format!(
        "wechatpay the student pays; TRANSACTION.SUCCESS → payment-webhook → {status}; the case is {}",
        text(&api.case(&token, case_id).await?["status"])?
    ));

    let (attempt, status) = api.upload_photo(&token, case_id).await?;
    say(format!(
        "student   POST /v1/collections/{case_id}/attempts → attempt {attempt}; PUT photo to S3 → HTTP {status}"
    ));

    photos.process(1).await?;
    let case = api.case(&token, case_id).await?;
    let checked = case["attempts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"] == attempt.to_string()))
        .ok_or("the case does not list the attempt")?;
    say(format!(
        "processor  S3 → SQS → photo-processor: attempt {}, standardised to 480×640 \
         (standardised/{case_id}/{attempt}/<sha256 of the bytes checked>.jpg)",
        text(&checked["status"])?,
    ));

    let submitted = api.submit(&token, case_id, attempt).await?;
    say(format!(
        "student   GET the standardised photo (5-minute link), POST /v1/collections/{case_id}/submit \
         confirming its sha256 → {}, next step: {}",
        text(&submitted["status"])?,
        text(&submitted["next_step"])?
    ));
    let standing = fns.api.case(&token, case_id).await?;
    say(format!(
        "student   GET /v1/collections/{case_id} → {} ahead in review, decision due {}",
        standing["in_review"]["queue_ahead"],
        text(&standing["in_review"]["decision_due"])?
    ));

    review(fns, task_id, case_id, say).await?;
    publish(fns, say).await?;
    print_and_mail(fns, task_id, &token, case_id, say).await?;

    let case = fns.api.case(&token, case_id).await?;
    say(format!(
        "student   GET /v1/collections/{case_id} → {}, published: {}",
        text(&case["status"])?,
        case["publishing"]["published"]
    ));
    let kept = localstack::http_client()
        .get(text(&case["approved_photo"]["url"])?)
        .send()
        .await?;
    say(format!(
        "student   downloads the approved photo (5-minute link) → HTTP {}, {} KB",
        kept.status().as_u16(),
        kept.bytes().await?.len() / 1024
    ));
    audit_trail(&fns.api, case_id, say).await?;
    Ok(Journey {
        task_id: task_id.to_owned(),
        openid,
        collection: case_id,
    })
}

/// Two reviewers at the review function: the queue, one claim, the other refused, approval;
/// then the notifier reads the stream and the student hears of it on WeChat.
async fn review(
    fns: &mut Functions,
    task_id: &str,
    case_id: CollectionId,
    say: &mut dyn FnMut(String),
) -> Result<(), Error> {
    let api = &fns.api;
    let (first, second) = ("reviewer-1", "reviewer-2");
    let (token, other) = (api.reviewer_token(first), api.reviewer_token(second));
    let queues = api
        .send_review("GET", "/v1/review/queues", &token, Body::None)
        .await?
        .expect(200)?;
    let queue = queues["queues"]
        .as_array()
        .and_then(|all| all.iter().find(|q| q["task_id"] == task_id))
        .ok_or("the task has no review queue")?;
    say(format!(
        "{first} GET /v1/review/queues → {} waiting, oldest {} h (promise {} h)",
        queue["waiting"], queue["oldest_age_hours"], queues["promise_hours"]
    ));

    let next = format!("/v1/review/tasks/{task_id}/next");
    let claimed = api
        .send_review("POST", &next, &token, Body::None)
        .await?
        .expect(200)?;
    if claimed["collection_id"] != case_id.to_string() {
        return Err(format!("`next` gave {}, not our case", claimed["collection_id"]).into());
    }
    say(format!(
        "{first} POST {next} → case {case_id}, leased until {}",
        text(&claimed["lease"]["until"])?
    ));
    let face = &claimed["face_match"];
    say(format!(
        "          face match against the ID-card portrait: {} (distance {:.3}, same person at ≤ {:.2})",
        text(&face["verdict"])?,
        face["distance"].as_f64().unwrap_or(f64::NAN),
        face["threshold"].as_f64().unwrap_or(f64::NAN)
    ));
    let card = &claimed["id_card"];
    say(format!(
        "          the ID card against the verified identity: {} ({} {})",
        text(&card["check"])?,
        text(&card["name"])?,
        text(&card["id_number"])?
    ));
    let http = localstack::http_client();
    for which in ["original", "standardised", "id_card"] {
        let url = text(&claimed["photos"][which]["url"])?;
        let response = http.get(url).send().await?;
        let status = response.status();
        let bytes = response.bytes().await?.len();
        if !status.is_success() {
            return Err(format!("the {which} photo's link answered {status}").into());
        }
        say(format!(
            "          {which:<12} presigned GET → HTTP {}, {} KB",
            status.as_u16(),
            bytes / 1024
        ));
    }

    let claim = format!("/v1/review/cases/{case_id}/claim");
    let refused = api
        .send_review("POST", &claim, &other, Body::None)
        .await?
        .expect(409)?;
    say(format!(
        "{second} POST {claim} → 409 {}: {}",
        text(&refused["code"])?,
        text(&refused["message_en"])?
    ));

    // The collar came out tinted: a retoucher corrects it instead of a retake.
    let retouch = format!("/v1/review/cases/{case_id}/retouch");
    let note = json!({"note": "衣领被背景色染蓝，请修正"});
    let sent = api
        .send_review("POST", &retouch, &token, Body::Json(note))
        .await?
        .expect(200)?;
    say(format!(
        "{first} POST {retouch} → {} (the note is the retoucher's brief)",
        text(&sent["status"])?
    ));
    let retoucher = api.retoucher_token("retoucher-1");
    let desk = format!("/v1/review/retouch/cases/{case_id}");
    let workspace = api
        .send_review("POST", &format!("{desk}/claim"), &retoucher, Body::None)
        .await?
        .expect(200)?;
    let corrected = http
        .get(text(&workspace["standardised"]["url"])?)
        .send()
        .await?
        .bytes()
        .await?;
    let length = json!({"content_length": corrected.len()});
    let upload = api
        .send_review(
            "POST",
            &format!("{desk}/upload"),
            &retoucher,
            Body::Json(length),
        )
        .await?
        .expect(200)?;
    let status = put(&upload["upload"], &corrected).await?;
    say(format!(
        "retoucher-1 POST {desk}/claim, downloads the standardised photo, uploads the correction → HTTP {status}"
    ));
    fns.photos.process(1).await?;
    let back = api
        .send_review("POST", &claim, &token, Body::None)
        .await?
        .expect(200)?;
    let retouched = back["photos"]["retouched"]["url"].is_string();
    say(format!(
        "processor  file and geometry checks passed → {}; {first} claims it again, retouched photo shown: {retouched}",
        text(&back["status"])?
    ));

    let approve = format!("/v1/review/cases/{case_id}/approve");
    let approved = api
        .send_review("POST", &approve, &token, Body::Json(json!({})))
        .await?
        .expect(200)?;
    say(format!(
        "{first} POST {approve} → {}",
        text(&approved["status"])?
    ));
    notify(&mut fns.notifier, say).await
}

/// One scheduled publisher run: the batch goes to the local 学信网 receiver, is acknowledged,
/// and the case is published; the notifier tells the student.
async fn publish(fns: &mut Functions, say: &mut dyn FnMut(String)) -> Result<(), Error> {
    let summary = fns.publisher.run().await?;
    say(format!(
        "publisher  scheduled run → {} batch created, {} delivered, {} failed, {} case published",
        summary["batches_created"],
        summary["batches_delivered"],
        summary["batches_failed"],
        summary["cases_published"]
    ));
    let received = fns.publisher.chsi.received();
    let (batch, archive) = received.last().ok_or("学信网 received no batch")?;
    let (manifest, photos) = chsi::Archive::read(archive)?;
    let row = manifest
        .iter()
        .find(|r| photos.iter().any(|(name, _)| *name == r.photo_file))
        .ok_or("the manifest names no photo of the archive")?;
    say(format!(
        "chsi       POST /batches/{batch} ({} KB zip) → receipt; manifest: {} {} {} {} {}",
        archive.len() / 1024,
        row.student_number,
        // The manifest carries the full name for 学信网; what we print never does.
        domain::mask_name(&row.name),
        row.masked_id,
        row.level,
        row.photo_file
    ));
    notify(&mut fns.notifier, say).await
}

/// The operator prints the approved photo on a sheet, reads the parcel's address and records
/// the courier's tracking number; the student sees the prints shipped and hears of each step.
async fn print_and_mail(
    fns: &mut Functions,
    task_id: &str,
    token: &str,
    case_id: CollectionId,
    say: &mut dyn FnMut(String),
) -> Result<(), Error> {
    let api = &fns.api;
    let ops = api.operator_token();
    let made = api
        .send_review(
            "POST",
            &format!("/v1/review/print/tasks/{task_id}/batches"),
            &ops,
            Body::Json(serde_json::json!({"format": "pdf"})),
        )
        .await?
        .expect(201)?;
    let batch = text(&made["batch_id"])?;
    let sheet = &made["sheets"][0];
    let pdf = localstack::http_client()
        .get(text(&sheet["download"]["url"])?)
        .send()
        .await?
        .bytes()
        .await?;
    say(format!(
        "operator  POST /v1/review/print/tasks/{task_id}/batches → batch {batch}: 1 sheet, {} KB PDF, sha256 {}…",
        pdf.len() / 1024,
        &text(&sheet["sha256"])?[..12]
    ));
    let labels = api
        .send_review(
            "GET",
            &format!("/v1/review/print/batches/{batch}/addresses"),
            &ops,
            Body::None,
        )
        .await?
        .expect(200)?;
    say(format!(
        "operator  GET /v1/review/print/batches/{batch}/addresses → {} label(s), the read recorded",
        labels["addresses"].as_array().map_or(0, Vec::len)
    ));
    let shipped = api
        .send_review(
            "POST",
            "/v1/review/print/shipments",
            &ops,
            Body::Json(serde_json::json!({
                "parcels": [{"collection_id": case_id.to_string(), "courier": "顺丰速运", "tracking_no": "SF1234567890"}]
            })),
        )
        .await?
        .expect(200)?;
    say(format!(
        "operator  POST /v1/review/print/shipments → {}",
        text(&shipped["results"][0]["result"])?
    ));
    notify(&mut fns.notifier, say).await?;
    let case = fns.api.case(token, case_id).await?;
    let order = &case["print"]["order"];
    say(format!(
        "student   GET /v1/collections/{case_id} → prints {} by {} {}",
        text(&order["stage"])?,
        text(&order["shipped"]["courier"])?,
        text(&order["shipped"]["tracking_no"])?
    ));
    Ok(())
}

/// Pumps the stream into the notifier and reports what WeChat received.
async fn notify(notifier: &mut LocalNotifier, say: &mut dyn FnMut(String)) -> Result<(), Error> {
    let before = notifier.wechat.delivered().len();
    let delivery = notifier.deliver().await?;
    say(format!(
        "notifier   stream: {} records, {} new audit events → notifier",
        delivery.read, delivery.handed
    ));
    for message in notifier.wechat.delivered().iter().skip(before) {
        say(format!(
            "wechat     subscribeMessage.send {} → page {}",
            message.template_id, message.page
        ));
    }
    Ok(())
}

/// The operator's view of the case's history: every event and every notice.
async fn audit_trail(
    api: &LocalApi,
    case_id: CollectionId,
    say: &mut dyn FnMut(String),
) -> Result<(), Error> {
    let trail = api
        .send(
            "GET",
            &format!("/v1/collections/{case_id}/events"),
            Some(&api.operator_token()),
            Body::None,
        )
        .await?
        .expect(200)?;
    say("operator  GET …/events → the audit trail (never rewritten):".into());
    let notices = trail["notices"].as_array().cloned().unwrap_or_default();
    for event in trail["events"].as_array().into_iter().flatten() {
        let kind = event["command"]["type"].as_str().unwrap_or("created");
        let actor = match &event["actor"] {
            Value::Object(a) => format!(
                "{} {}",
                a.get("kind").and_then(Value::as_str).unwrap_or_default(),
                a.get("id").and_then(Value::as_str).unwrap_or_default()
            ),
            other => other.to_string(),
        };
        say(format!(
            "  v{:<2} {} {kind:<22} {:<16} by {}",
            event["version"],
            text(&event["at"])?.get(11..19).unwrap_or_default(),
            text(&event["to"])?,
            actor.trim()
        ));
        for notice in notices.iter().filter(|n| n["version"] == event["version"]) {
            say(format!(
                "      └ WeChat notice {}: {}",
                text(&notice["kind"])?,
                text(&notice["outcome"])?
            ));
        }
    }
    Ok(())
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
/// PUTs `bytes` to a presigned upload, as the mini program does: again after a server error
/// or a lost connection (S3's `SlowDown` asks for exactly that), up to four times.
async fn put(upload: &Value, bytes: &[u8]) -> Result<u16, Error> {
    let mut last = String::new();
    for _ in 0..4 {
        let mut request = localstack::http_client()
            .put(text(&upload["url"])?)
            .body(bytes.to_vec());
        for pair in upload["headers"].as_array().into_iter().flatten() {
            request = request.header(text(&pair[0])?, text(&pair[1])?);
        }
        match request.send().await {
            Ok(answer) if answer.status().is_success() => return Ok(answer.status().as_u16()),
            Ok(answer) if answer.status().is_server_error() => last = answer.status().to_string(),
            Ok(answer) => {
                return Err(
                    format!("the presigned upload failed: HTTP {}", answer.status()).into(),
                );
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("the presigned upload failed four times: {last}").into())
}
