//! Every route of the API through real `lambda_http` requests, against moto and local servers
//! playing WeChat and the identity provider: what each does, and what each refuses.

mod support;

use std::io::Cursor;

use api::auth::{Principal, Role};
use base64::Engine;
use domain::{Actor, AttemptId, CardProblem, CheckOutcome, CollectionId, Command, ReasonCode};
use lambda_http::Body;
use lambda_http::http::Method;
use serde_json::{Value, json};
use support::{Answer, Card, Harness, confirm, id_number, session_code};
use time::{Duration, OffsetDateTime};

const ZHANG: &str = "张三";

fn zhang_id() -> String {
    id_number("44010620040517123")
}

fn masked(id: &str) -> String {
    domain::IdNumber::parse_stored(id).unwrap().masked()
}

fn roster_csv(rows: &[(&str, &str, &str, &str)]) -> String {
    let mut csv = String::from("学号,姓名,身份证号,专业,图像采集码\n");
    for (number, name, id, code) in rows {
        csv.push_str(&format!("{number},{name},{id},软件工程,{code}\n"));
    }
    csv
}

/// A task with Zhang San (and Li Si) on its roster; returns the task id.
async fn task_with_roster(h: &Harness) -> String {
    roster_of(h, h.task(&session_code()).await).await
}

/// Zhang San linked, as [`linked_student`], in a task that offers printed photos.
async fn linked_student_offered_prints(h: &Harness) -> (String, String) {
    roster_of(h, h.task_offering_prints(&session_code()).await).await;
    zhang_linked(h).await
}

async fn roster_of(h: &Harness, task: Value) -> String {
    let task_id = task["id"].as_str().unwrap().to_owned();
    let csv = roster_csv(&[
        ("2022001", ZHANG, &zhang_id(), "CJM2022001"),
        (
            "2022002",
            "李四",
            &id_number("11010520031109246"),
            "CJM2022002",
        ),
    ]);
    h.import(&task_id, &csv).await.ok(200);
    task_id
}

/// Zhang San, logged in, verified and linked through the roster: (token, collection id).
async fn linked_student(h: &Harness) -> (String, String) {
    task_with_roster(h).await;
    zhang_linked(h).await
}

/// Zhang San logs in, is verified and links the task's roster row: (token, collection id).
async fn zhang_linked(h: &Harness) -> (String, String) {
    let token = h.verified_student("o-zhang", ZHANG, &zhang_id()).await;
    let linked = h.post("/v1/links/roster", Some(&token), json!({})).await;
    let id = linked.ok(200)["collections"][0]["collection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (token, id)
}

/// The student pays through the route; WeChat Pay (the local peer) takes the money and its
/// notification is received. Returns the order number.
async fn pay(h: &Harness, token: &str, collection: &str) -> String {
    pay_for(h, token, collection, json!({})).await
}

/// As [`pay`], with the checkout's body (`{"print": true}` orders the prints too).
async fn pay_for(h: &Harness, token: &str, collection: &str, body: Value) -> String {
    let path = format!("/v1/collections/{collection}/payment");
    let checkout = h.post(&path, Some(token), body).await;
    let order_no = checkout.ok(200)["order_no"].as_str().unwrap().to_owned();
    let notification = h.pay.pay(&order_no).expect("the peer knows the order");
    h.app
        .payments
        .receive(
            |name| notification.header(name),
            notification.body.as_bytes(),
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("the notification is recorded");
    order_no
}

/// What the photo processor will do: record the automatic check of an attempt.
async fn check(h: &Harness, collection: &str, attempt: &str, outcome: CheckOutcome) {
    let id: CollectionId = collection.parse().unwrap();
    let attempt_id: AttemptId = attempt.parse().unwrap();
    let table = &h.env.store.table;
    let system = Actor::System("photo-processor".into());
    let now = h.now();
    table
        .transition(
            id,
            Command::BeginProcessing { attempt_id },
            system.clone(),
            now,
        )
        .await
        .unwrap();
    // As the processor leaves it: what it made from the upload, named by the upload's digest
    // and recorded with the verdict.
    let checked = store::Checked {
        collection: id,
        attempt: attempt_id,
        digest: store::Digest::of(attempt.as_bytes()),
    };
    // The report, with where the face's parts are (as the engine writes it).
    let area = |x: f64, y: f64| json!({"x": x, "y": y, "w": 0.1, "h": 0.05});
    let report = json!({
        "schema": "idphoto.report/1",
        "regions": {
            "eyes": [area(0.4, 0.3)],
            "mouth": [area(0.45, 0.5)],
            "ears": [area(0.25, 0.35), area(0.65, 0.35)],
            "top_of_head": [area(0.35, 0.05)],
        },
    });
    h.env
        .store
        .objects
        .put_photo_object(
            &checked.report_key(),
            "application/json",
            report.to_string().into_bytes(),
        )
        .await
        .unwrap();
    h.env
        .store
        .objects
        .put_photo_object(
            &checked.preview_key(),
            "image/jpeg",
            format!("preview of {attempt}").into_bytes(),
        )
        .await
        .unwrap();
    if matches!(outcome, CheckOutcome::Passed { .. }) {
        h.env
            .store
            .objects
            .put_photo_object(
                &checked.standardised_key(),
                "image/jpeg",
                standardised(attempt),
            )
            .await
            .unwrap();
    }
    table
        .transition_along(
            id,
            Command::RecordCheck {
                attempt_id,
                outcome,
            },
            system,
            now,
            &[store::Along::Evidence(&checked)],
        )
        .await
        .unwrap();
}

/// The standardised photo the fake processor leaves for `attempt`.
fn standardised(attempt: &str) -> Vec<u8> {
    format!("\u{FFFD}JPEG standardised {attempt}").into_bytes()
}

/// Every item of the table, as text: what someone who can read the table sees.
async fn table_dump(h: &Harness) -> String {
    let scan = h
        .env
        .dynamodb()
        .scan()
        .table_name(h.env.store.table.name())
        .send()
        .await
        .unwrap();
    format!("{:?}", scan.items())
}

/// The case as stored.
async fn stored(h: &Harness, collection: &str) -> domain::Collection {
    let id = collection.parse().unwrap();
    h.env.store.table.collection(id).await.unwrap()
}

/// A photo attempt started and passed by the (fake) processor; its id.
async fn passed_attempt(h: &Harness, token: &str, collection: &str) -> String {
    let attempt = start_attempt(h, token, collection).await;
    let attempt = attempt["attempt_id"].as_str().unwrap().to_owned();
    let passed = CheckOutcome::Passed {
        review_flags: vec![],
    };
    check(h, collection, &attempt, passed).await;
    attempt
}

/// What a presigned GET (`{url, expires_at}`) gives.
async fn fetched(link: &Value) -> Vec<u8> {
    let url = link["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no link: {link}"));
    let response = localstack::http_client().get(url).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.bytes().await.unwrap().to_vec()
}

/// The student's client: fetches the standardised photo of `attempt` from the case view, as
/// the student sees it, and confirms it with its sha256.
async fn confirm_and_submit(h: &Harness, token: &str, collection: &str, attempt: &str) -> Answer {
    let case = h.get(&format!("/v1/collections/{collection}"), token).await;
    let shown = case.ok(200)["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == attempt)
        .map(|a| a["standardised"].clone())
        .unwrap_or_default();
    let sha256 = store::Digest::of(&fetched(&shown).await).to_string();
    h.post(
        &format!("/v1/collections/{collection}/submit"),
        Some(token),
        json!({"attempt_id": attempt, "standardised_sha256": sha256}),
    )
    .await
}

async fn start_attempt(h: &Harness, token: &str, collection: &str) -> Value {
    h.post(
        &format!("/v1/collections/{collection}/attempts"),
        Some(token),
        json!({"content_type": "image/jpeg", "content_length": 2048}),
    )
    .await
    .ok(201)
    .clone()
}

#[tokio::test]
async fn login_trades_a_wechat_code_for_a_session_once() {
    let h = Harness::new().await;
    let code = h.wechat.issue_code("o-login");
    let session = h
        .post("/v1/auth/wechat", None, json!({ "code": code }))
        .await;
    let token = session.ok(200)["token"].as_str().unwrap();
    assert_eq!(session.body["role"], "student");
    let principal = h.tokens.verify(token, h.now()).unwrap();
    assert_eq!(
        principal,
        Principal {
            subject: "o-login".into(),
            role: Role::Student
        }
    );
    // WeChat saw our appid and secret and the student's code.
    let seen = h.wechat.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].appid, h.wechat.appid);
    assert!(seen[0].secret_ok);
    assert_eq!(seen[0].js_code, code);
    assert_eq!(seen[0].grant_type, "authorization_code");

    // A code works once.
    h.post("/v1/auth/wechat", None, json!({ "code": code }))
        .await
        .refused(401, "login_code_invalid");
    h.post("/v1/auth/wechat", None, json!({ "code": "" }))
        .await
        .refused(400, "bad_request");
    h.post(
        "/v1/auth/wechat",
        None,
        json!({ "code": "x", "openid": "o-forged" }),
    )
    .await
    .refused(400, "bad_request");
}

#[tokio::test]
async fn every_other_route_needs_a_valid_token_of_the_right_role() {
    let h = Harness::new().await;
    let no_token = h
        .call(Method::GET, "/v1/collections", None, Body::Empty)
        .await;
    no_token.refused(401, "unauthenticated");
    h.get("/v1/collections", "not.a.token")
        .await
        .refused(401, "token_invalid");
    let expired = h.tokens.mint(
        &Principal {
            subject: "o-old".into(),
            role: Role::Student,
        },
        h.now() - Duration::hours(3),
        Duration::hours(2),
    );
    h.get("/v1/collections", &expired)
        .await
        .refused(401, "token_expired");
    let foreign = api::auth::Tokens::new(&[9u8; 32]).unwrap().mint(
        &Principal {
            subject: "ops-1".into(),
            role: Role::Operator,
        },
        h.now(),
        Duration::hours(1),
    );
    h.get("/v1/tasks", &foreign)
        .await
        .refused(401, "token_invalid");

    let student = h.student("o-someone").await;
    h.get("/v1/tasks", &student).await.refused(403, "forbidden");
    let reviewer = h.staff(Role::Reviewer, "rev-1");
    h.get("/v1/tasks", &reviewer)
        .await
        .refused(403, "forbidden");
    h.get("/v1/collections", &h.operator())
        .await
        .refused(403, "forbidden");
    h.get("/v1/nowhere", &student)
        .await
        .refused(404, "not_found");
    h.call(
        Method::DELETE,
        "/v1/collections",
        Some(&student),
        Body::Empty,
    )
    .await
    .refused(405, "method_not_allowed");
}

/// The order of the real collection systems: the ID card's photo first, read by the
/// processor; the student sees what was read, confirms it, and only then is the provider asked.
#[tokio::test]
async fn identity_is_confirmed_from_the_card_checked_with_the_provider_and_shown_masked() {
    let h = Harness::new().await;
    let token = h.student("o-id").await;
    let id = zhang_id();
    // Nothing sensitive is processed before the student consents to the privacy notice, to
    // every purpose in it; the notice is public.
    let no_card = "01J0000000000000000000CARD";
    let refused = h
        .post("/v1/identity", Some(&token), confirm(ZHANG, &id, no_card))
        .await;
    refused.refused(422, "consent_required");
    assert_eq!(
        refused.body["details"]["missing"].as_array().unwrap().len(),
        3
    );
    let notice = h
        .call(Method::GET, "/v1/privacy-notice", None, Body::Empty)
        .await;
    assert_eq!(notice.ok(200)["version"], "v1");
    assert!(
        notice.body["text_zh"]
            .as_str()
            .unwrap()
            .contains("人脸比对")
    );
    let card = |consent: Value| json!({"content_type": "image/jpeg", "content_length": 300_000, "consent": consent});
    let partial = json!({"notice_version": "v1", "purposes": ["identity_check", "face_photo"]});
    let refused = h
        .post("/v1/identity/portrait", Some(&token), card(partial))
        .await;
    refused.refused(422, "consent_required");
    assert_eq!(
        refused.body["details"]["missing"],
        json!(["face_comparison"])
    );
    let stale = json!({"notice_version": "v0", "purposes": ["identity_check", "face_photo", "face_comparison"]});
    h.post("/v1/identity/portrait", Some(&token), card(stale))
        .await
        .refused(422, "consent_required");
    assert!(h.env.store.table.consents("o-id").await.unwrap().is_empty());

    // Where to upload the card, with the consent (recorded once, with its time); until the
    // processor has read it, there is nothing to confirm.
    let first = h
        .post(
            "/v1/identity/portrait",
            Some(&token),
            card(support::consent()),
        )
        .await;
    let consents = h.env.store.table.consents("o-id").await.unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(
        (consents[0].notice_version.as_str(), consents[0].at),
        ("v1", h.now())
    );
    h.post("/v1/identity", Some(&token), confirm(ZHANG, &id, no_card))
        .await
        .refused(409, "id_card_required");
    let first = first.ok(200).clone();
    let pending = first["portrait_id"].as_str().unwrap();
    let url = first["upload"]["url"].as_str().unwrap();
    assert_eq!(first["upload"]["method"], "PUT");
    assert!(url.contains(&format!("portraits/{pending}")), "{url}");
    h.post("/v1/identity", Some(&token), confirm(ZHANG, &id, pending))
        .await
        .refused(409, "id_card_pending");
    let me = h.get("/v1/me", &token).await;
    assert_eq!(me.ok(200)["id_card"]["status"], "pending");
    assert_eq!(me.body["id_card"]["read"], Value::Null);

    // A retake replaces it; the card read, its owner sees name and number to confirm them.
    let card = h.card(&token, "o-id", Card::Reads(ZHANG, &id)).await;
    let me = h.get("/v1/me", &token).await;
    let me = me.ok(200);
    assert_eq!(me["verified"], false);
    assert_eq!(me["id_card"]["portrait_id"], card.as_str());
    assert_eq!(me["id_card"]["status"], "usable");
    assert_eq!(
        me["id_card"]["read"],
        json!({"name": ZHANG, "id_number": id})
    );
    h.post("/v1/identity", Some(&token), confirm(ZHANG, &id, pending))
        .await
        .refused(409, "id_card_required");

    // A number that fails the check digit never reaches the (paid) provider.
    let mut wrong_check = id.clone();
    wrong_check.replace_range(17.., if id.ends_with('0') { "1" } else { "0" });
    let bad = h
        .post(
            "/v1/identity",
            Some(&token),
            confirm(ZHANG, &wrong_check, &card),
        )
        .await;
    bad.refused(422, "invalid_id_number");
    assert!(
        !bad.body.to_string().contains(&wrong_check[..14]),
        "no echo of the number"
    );
    assert!(h.identity.requests().is_empty());

    h.identity.register(ZHANG, &id);
    h.post("/v1/identity", Some(&token), confirm("李四", &id, &card))
        .await
        .refused(422, "identity_mismatch");

    let verified = h
        .post("/v1/identity", Some(&token), confirm(ZHANG, &id, &card))
        .await;
    let reply = verified.ok(200);
    assert_eq!(
        reply,
        &json!({"name": "张*", "id_number": masked(&id), "id_card": "matches"})
    );
    assert!(!verified.body.to_string().contains(&id));

    let seen = h.identity.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.authorized));
    assert_eq!(
        (seen[1].name.as_str(), seen[1].id_number.as_str()),
        (ZHANG, id.as_str())
    );

    let me = h.get("/v1/me", &token).await;
    let me = me.ok(200);
    assert_eq!(
        (
            &me["verified"],
            &me["name"],
            &me["id_number"],
            &me["portrait"]
        ),
        (
            &json!(true),
            &json!("张*"),
            &json!(masked(&id)),
            &json!("usable")
        )
    );

    // Confirming again does not call the provider again; another identity on the same
    // WeChat account is refused.
    h.post("/v1/identity", Some(&token), confirm(ZHANG, &id, &card))
        .await
        .ok(200);
    assert_eq!(h.identity.requests().len(), 2);
    let li = id_number("11010520031109246");
    h.identity.register("李四", &li);
    h.post("/v1/identity", Some(&token), confirm("李四", &li, &card))
        .await
        .refused(409, "identity_already_verified");
    assert_eq!(
        h.identity.requests().len(),
        2,
        "refused before the provider"
    );
    let me_again = h.get("/v1/me", &token).await;
    assert_eq!(me_again.body["name"], "张*");

    // A new card's photo, for a retake; only in a format the engine reads.
    let fresh = h
        .post(
            "/v1/identity/portrait",
            Some(&token),
            json!({"content_type": "image/png", "content_length": 1000}),
        )
        .await;
    assert_ne!(fresh.ok(200)["portrait_id"].as_str().unwrap(), card);
    h.post(
        "/v1/identity/portrait",
        Some(&token),
        json!({"content_type": "image/heic", "content_length": 10}),
    )
    .await
    .refused(422, "unsupported_format");

    // The stored records hold neither the name nor the number in plain text.
    let dump = table_dump(&h).await;
    assert!(!dump.contains(&id) && !dump.contains(ZHANG));
}

/// Every card photo is read by the processor, and an account need not be verified to send
/// one: ten a day per account, then the student is told when to come back.
#[tokio::test]
async fn card_photos_are_budgeted_per_account() {
    let h = Harness::new().await;
    let token = h.student("o-many-cards").await;
    let card = json!({"content_type": "image/jpeg", "content_length": 300_000, "consent": support::consent()});
    for _ in 0..10 {
        h.post("/v1/identity/portrait", Some(&token), card.clone())
            .await
            .ok(200);
    }
    let refused = h
        .post("/v1/identity/portrait", Some(&token), card.clone())
        .await;
    refused.refused(429, "too_many_attempts");
    assert!(refused.body["details"]["retry_at"].is_string());
    // Another account is not held back by this one.
    let other = h.student("o-one-card").await;
    h.post("/v1/identity/portrait", Some(&other), card)
        .await
        .ok(200);
}

/// The card is what the reviewer's face match rests on, so a photo that is not a card's
/// portrait side stops the student with what to retake; a card that reads otherwise than the
/// student confirms, or whose text was not read, does not stop them (OCR misreads rare
/// characters) but is recorded for the reviewer.
#[tokio::test]
async fn a_card_that_differs_or_was_not_read_is_flagged_and_an_unusable_one_retaken() {
    let h = Harness::new().await;
    let li = id_number("11010520031109246");
    let wang = id_number("11010519991231001");
    for (name, id) in [
        (ZHANG, zhang_id()),
        ("李四", li.clone()),
        ("王五", wang.clone()),
    ] {
        h.identity.register(name, &id);
    }

    let emblem = h.student("o-emblem").await;
    let card = h
        .card(&emblem, "o-emblem", Card::Unusable(CardProblem::EmblemSide))
        .await;
    let refused = h
        .post(
            "/v1/identity",
            Some(&emblem),
            confirm(ZHANG, &zhang_id(), &card),
        )
        .await;
    refused.refused(422, "id_card_unusable");
    assert!(
        refused.body["message_zh"]
            .as_str()
            .unwrap()
            .contains("国徽面")
    );
    assert_eq!(refused.body["details"]["problem"], "emblem_side");
    assert!(
        h.identity.requests().is_empty(),
        "the provider was not asked"
    );
    let me = h.get("/v1/me", &emblem).await;
    assert_eq!(me.ok(200)["id_card"]["problem"]["code"], "emblem_side");

    // The card says 张叁 (a misread, or someone else's card): the check goes on, flagged.
    let misread = h.student("o-misread").await;
    let card = h
        .card(&misread, "o-misread", Card::Reads("张叁", &zhang_id()))
        .await;
    let reply = h
        .post(
            "/v1/identity",
            Some(&misread),
            confirm(ZHANG, &zhang_id(), &card),
        )
        .await;
    assert_eq!(reply.ok(200)["id_card"], "id_card_mismatch");

    let unread = h.student("o-unread").await;
    let card = h
        .card(
            &unread,
            "o-unread",
            Card::Unread(CardProblem::ChecksumFailed),
        )
        .await;
    let reply = h
        .post("/v1/identity", Some(&unread), confirm("李四", &li, &card))
        .await;
    assert_eq!(reply.ok(200)["id_card"], "id_card_unread");
    let me = h.get("/v1/me", &unread).await;
    let me = me.ok(200);
    assert_eq!(me["id_card"]["problem"]["code"], "checksum_failed");
    assert_eq!(me["id_card"]["read"], Value::Null);
    assert_eq!(h.identity.requests().len(), 2);
}

#[tokio::test]
async fn wrong_identity_guesses_are_rate_limited() {
    let h = Harness::new().await;
    let token = h.student("o-guesser").await;
    h.identity.register(ZHANG, &zhang_id());
    let card = h
        .card(&token, "o-guesser", Card::Reads("王五", &zhang_id()))
        .await;
    let body = confirm("王五", &zhang_id(), &card);
    for _ in 0..5 {
        h.post("/v1/identity", Some(&token), body.clone())
            .await
            .refused(422, "identity_mismatch");
    }
    h.post("/v1/identity", Some(&token), body.clone())
        .await
        .refused(429, "too_many_attempts");
    assert_eq!(
        h.identity.requests().len(),
        1,
        "the provider answered the pair once; the repeats and the sixth never reached it"
    );
    // Another account trying the same wrong pair is answered from the table as well.
    let other = h.student("o-guesser-2").await;
    let card = h
        .card(&other, "o-guesser-2", Card::Reads("王五", &zhang_id()))
        .await;
    h.post(
        "/v1/identity",
        Some(&other),
        confirm("王五", &zhang_id(), &card),
    )
    .await
    .refused(422, "identity_mismatch");
    assert_eq!(h.identity.requests().len(), 1);
}

/// When a window of the budget turns: the next full hour, as the client shows it in China.
fn next_hour_in_china(now: OffsetDateTime) -> String {
    let china = now.to_offset(domain::china::CHINA);
    let hour = china.replace_minute(0).unwrap().replace_second(0).unwrap();
    let hour = hour.replace_nanosecond(0).unwrap() + Duration::hours(1);
    hour.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Uploads a card reading `name` and `id` on the account `openid` and confirms it.
async fn confirm_card(h: &Harness, openid: &str, token: &str, name: &str, id: &str) -> Answer {
    let card = h.card(token, openid, Card::Reads(name, id)).await;
    h.post("/v1/identity", Some(token), confirm(name, id, &card))
        .await
}

/// A verified ID number belongs to one WeChat account. A second account with the same name and
/// number is told it is taken (409, with how to get help) without paying the provider again;
/// the same number with another name gets exactly the answer any wrong pair gets, so nobody
/// learns from the API which numbers have an account here.
#[tokio::test]
async fn one_identity_belongs_to_one_account_and_the_conflict_is_no_oracle() {
    let h = Harness::new().await;
    h.verified_student("o-zhang", ZHANG, &zhang_id()).await;
    assert_eq!(h.identity.requests().len(), 1);

    let second = h.student("o-zhang-new-phone").await;
    let taken = confirm_card(&h, "o-zhang-new-phone", &second, ZHANG, &zhang_id()).await;
    taken.refused(409, "identity_in_use");
    assert!(taken.body["message_zh"].as_str().unwrap().contains("联系"));
    assert_eq!(
        h.identity.requests().len(),
        1,
        "the provider is not asked twice"
    );
    let me = h.get("/v1/me", &second).await;
    assert_eq!(me.ok(200)["verified"], false);

    // The held number with a wrong name, and a number nobody holds with a wrong name: one
    // answer, word for word.
    let li = id_number("11010520031109246");
    h.identity.register("李四", &li);
    let prober = h.student("o-prober").await;
    let on_held = confirm_card(&h, "o-prober", &prober, "王五", &zhang_id()).await;
    let on_free = confirm_card(&h, "o-prober", &prober, "王五", &li).await;
    on_held.refused(422, "identity_mismatch");
    assert_eq!(on_held.body, on_free.body);
}

/// A student who changed WeChat accounts asks for their identity on the new one. Asking
/// proves nothing by itself: it files a request for an operator (who checks the person), the
/// new account stays unverified, and a wrong name gets the same answer as any wrong pair.
#[tokio::test]
async fn a_new_account_asks_an_operator_for_its_identity_and_gets_nothing_by_asking() {
    let h = Harness::new().await;
    h.verified_student("o-zhang", ZHANG, &zhang_id()).await;
    let new = h.student("o-zhang-new-phone").await;
    let ask = |name: &str, id: &str| json!({"name": name, "id_number": id});
    let path = "/v1/identity/transfer-requests";

    // The request checks a name and a number: only with the student's consent.
    h.post(path, Some(&new), ask(ZHANG, &zhang_id()))
        .await
        .refused(422, "consent_required");
    let mut with_consent = ask("王五", &zhang_id());
    with_consent["consent"] = support::consent();
    h.post(path, Some(&new), with_consent)
        .await
        .refused(422, "identity_mismatch");
    let filed = h.post(path, Some(&new), ask(ZHANG, &zhang_id())).await;
    let filed = filed.ok(202);
    assert_eq!(filed["kind"], "transfer");
    assert_eq!(filed["status"], "pending");
    let again = h.post(path, Some(&new), ask(ZHANG, &zhang_id())).await;
    assert_eq!(
        again.ok(202)["request_id"],
        filed["request_id"],
        "one request"
    );

    let table = &h.env.store.table;
    let pending = table.pending_requests().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].kind,
        store::RequestKind::Transfer {
            from: "o-zhang".into(),
            to: "o-zhang-new-phone".into()
        }
    );
    // Nothing moved: the new account is not verified, the old one still is.
    let me = h.get("/v1/me", &new).await;
    assert_eq!(me.ok(200)["verified"], false);
    assert!(
        h.identity.requests().len() == 1,
        "the provider was asked once, ever"
    );

    // Nobody holds Li Si's number: there is nothing to ask for. A verified account asks for
    // nothing either.
    h.post(
        path,
        Some(&new),
        ask("李四", &id_number("11010520031109246")),
    )
    .await
    .refused(409, "identity_not_in_use");
    let zhang = h.student("o-zhang").await;
    h.post(path, Some(&zhang), ask(ZHANG, &zhang_id()))
        .await
        .refused(409, "identity_already_verified");
}

/// Two accounts verifying the same person at the same moment: the provider says "match" to
/// both, and the owner item, written in one transaction with the student record, lets exactly
/// one of them have it.
#[tokio::test]
async fn two_accounts_racing_for_one_identity_get_it_once() {
    let h = Harness::new().await;
    h.identity.register(ZHANG, &zhang_id());
    let (a, b) = (h.student("o-race-a").await, h.student("o-race-b").await);
    let card_a = h
        .card(&a, "o-race-a", Card::Reads(ZHANG, &zhang_id()))
        .await;
    let card_b = h
        .card(&b, "o-race-b", Card::Reads(ZHANG, &zhang_id()))
        .await;
    let (ra, rb) = tokio::join!(
        h.post(
            "/v1/identity",
            Some(&a),
            confirm(ZHANG, &zhang_id(), &card_a)
        ),
        h.post(
            "/v1/identity",
            Some(&b),
            confirm(ZHANG, &zhang_id(), &card_b)
        ),
    );
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", ra.body, rb.body);
    let loser = if ra.status == 409 { &ra } else { &rb };
    loser.refused(409, "identity_in_use");
    let verified = [h.get("/v1/me", &a).await, h.get("/v1/me", &b).await]
        .iter()
        .filter(|me| me.body["verified"] == true)
        .count();
    assert_eq!(verified, 1);
}

/// A burst of concurrent checks from one account: each is reserved before the provider is
/// called, in one conditional write, so at most the hour's five reach it, and the rest are
/// told when to come back.
#[tokio::test]
async fn twenty_concurrent_wrong_identities_reach_the_provider_at_most_five_times() {
    let h = Harness::new().await;
    let token = h.student("o-burst").await;
    let card = h
        .card(&token, "o-burst", Card::Unread(CardProblem::FieldsUnread))
        .await;
    let ids: Vec<String> = (0..20)
        .map(|k| id_number(&format!("11010520031109{k:03}")))
        .collect();
    let answers = futures_util::future::join_all(
        ids.iter()
            .map(|id| h.post("/v1/identity", Some(&token), confirm("王五", id, &card))),
    )
    .await;
    let provider_calls = h.identity.requests().len();
    assert!(provider_calls <= 5, "{provider_calls} calls");
    let limited = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!(limited, 20 - provider_calls);
    for a in answers.iter().filter(|a| a.status == 429) {
        a.refused(429, "too_many_attempts");
        assert_eq!(a.body["details"]["retry_at"], next_hour_in_china(h.now()));
    }
}

/// The whole service's checks per day are a budget too (a deployment parameter): once spent,
/// no account reaches the provider until the China day turns, and students are told when.
#[tokio::test]
async fn the_service_stops_paying_for_checks_when_the_day_is_spent() {
    let mut h = Harness::new().await;
    h.app.identity_checks_per_day = 2;
    for (k, name) in ["王五", "赵六"].into_iter().enumerate() {
        let openid = format!("o-day-{k}");
        let t = h.student(&openid).await;
        confirm_card(&h, &openid, &t, name, &zhang_id())
            .await
            .refused(422, "identity_mismatch");
    }
    let late = h.student("o-day-late").await;
    h.identity.register(ZHANG, &zhang_id());
    let spent = confirm_card(&h, "o-day-late", &late, ZHANG, &zhang_id()).await;
    spent.refused(429, "identity_checks_exhausted");
    assert_eq!(h.identity.requests().len(), 2);
    let midnight = (domain::china::date(h.now()) + Duration::days(1))
        .midnight()
        .assume_offset(domain::china::CHINA);
    assert_eq!(
        spent.body["details"]["retry_at"],
        midnight
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
}

/// The 学信网 code route is not an oracle of which codes exist: an unknown code, a known code
/// with other last four, and another student's row with its own last four all get one answer,
/// word for word, and each is a guess.
#[tokio::test]
async fn a_collection_code_tells_nobody_which_codes_exist() {
    let h = Harness::new().await;
    task_with_roster(&h).await;
    let token = h.verified_student("o-zhang", ZHANG, &zhang_id()).await;
    let li_last4 = id_number("11010520031109246")[14..].to_owned();
    let mine = zhang_id()[14..].to_owned();
    let answers = [
        ("CJM9999999", mine.as_str()),
        ("CJM2022001", "0000"),
        ("CJM2022002", li_last4.as_str()),
    ];
    let mut bodies = Vec::new();
    for (code, last4) in answers {
        let a = h
            .post(
                "/v1/links/chsi-code",
                Some(&token),
                json!({"code": code, "id_last4": last4}),
            )
            .await;
        a.refused(404, "no_matching_record");
        bodies.push(a.body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    let counted = h
        .env
        .store
        .table
        .counted(
            "link",
            "o-zhang",
            std::time::Duration::from_secs(3600),
            h.now(),
        )
        .await
        .unwrap();
    assert_eq!(counted, 3);
}

/// The reviewer compares the photo with the ID-card portrait the face match was made with.
/// Were the student able to replace that portrait during review (with a look-alike's, say),
/// a stranger's face would pass; from submission on it is held, on both routes that issue a
/// new one, and a rejection sent back for a retake frees it.
#[tokio::test]
async fn the_id_card_portrait_cannot_change_while_a_case_is_in_review() {
    let h = Harness::new().await;
    let (token, id) = linked_student(&h).await;
    pay(&h, &token, &id).await;
    let attempt_id = passed_attempt(&h, &token, &id).await;
    let table = &h.env.store.table;
    let held = table.student("o-zhang").await.unwrap().unwrap().portrait;
    confirm_and_submit(&h, &token, &id, &attempt_id)
        .await
        .ok(200);

    let new_portrait = json!({"content_type": "image/jpeg", "content_length": 1000});
    h.post("/v1/identity/portrait", Some(&token), new_portrait.clone())
        .await
        .refused(409, "portrait_locked");
    let card = held.as_ref().unwrap().id.to_string();
    h.post(
        "/v1/identity",
        Some(&token),
        confirm(ZHANG, &zhang_id(), &card),
    )
    .await
    .ok(200);
    let student = table.student("o-zhang").await.unwrap().unwrap();
    assert_eq!(
        student.portrait, held,
        "confirming again keeps the held card"
    );
    assert!(student.identity.is_some(), "the refusal changed nothing");

    // A reviewer sends the photo back for a retake: the portrait is the student's again.
    let review = review::App {
        store: h.env.store.clone(),
        tokens: h.tokens.clone(),
        console: None,
    };
    let reviewer = h.staff(Role::Reviewer, "reviewer-1");
    for (path, body) in [
        (format!("/v1/review/cases/{id}/claim"), json!({})),
        (
            format!("/v1/review/cases/{id}/reject"),
            json!({"reasons": ["blurry"]}),
        ),
    ] {
        let request = lambda_http::http::Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("authorization", format!("Bearer {reviewer}"))
            .body(Body::Text(body.to_string()))
            .unwrap();
        let response = web::handle(&review, request).await;
        assert_eq!(response.status(), 200, "{:?}", response.body());
    }
    h.post("/v1/identity/portrait", Some(&token), new_portrait)
        .await
        .ok(200);
}

/// The review function, called as the console calls it.
async fn review_call(h: &Harness, method: Method, token: &str, path: &str) -> (u16, Value) {
    let review = review::App {
        store: h.env.store.clone(),
        tokens: h.tokens.clone(),
        console: None,
    };
    let request = lambda_http::http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::Text("{}".into()))
        .unwrap();
    let response = web::handle(&review, request).await;
    let status = response.status().as_u16();
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (status, body)
}

/// A paid case with a passed photo, submitted; returns token, case and attempt.
async fn submitted_case(h: &Harness) -> (String, String, String) {
    let (token, id) = linked_student(h).await;
    pay(h, &token, &id).await;
    let attempt = passed_attempt(h, &token, &id).await;
    confirm_and_submit(h, &token, &id, &attempt).await.ok(200);
    (token, id, attempt)
}

/// A paid case taken from a passed photo through review to approval, as reviewers do it.
async fn run_to_approval(h: &Harness, token: &str, id: &str) -> domain::Collection {
    let attempt = passed_attempt(h, token, id).await;
    confirm_and_submit(h, token, id, &attempt).await.ok(200);
    let reviewer = h.staff(Role::Reviewer, "reviewer-1");
    for step in ["claim", "approve"] {
        let path = format!("/v1/review/cases/{id}/{step}");
        let (status, body) = review_call(h, Method::POST, &reviewer, &path).await;
        assert_eq!(status, 200, "{body}");
    }
    stored(h, id).await
}

/// A student changes their mind before review: the case awaits a photo again, paid, audited;
/// the same photo may go back; nobody else may take it back, and there must be something to
/// take back.
#[tokio::test]
async fn a_student_withdraws_a_submitted_photo_before_review_and_may_submit_it_again() {
    let h = Harness::new().await;
    let (token, id, attempt) = submitted_case(&h).await;
    // Li Si submits too, behind Zhang San: each sees where they stand, and when the
    // decision is promised.
    let li = h
        .verified_student("o-li", "李四", &id_number("11010520031109246"))
        .await;
    let linked = h.post("/v1/links/roster", Some(&li), json!({})).await;
    let li_case = linked.ok(200)["collections"][0]["collection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    pay(&h, &li, &li_case).await;
    let li_attempt = passed_attempt(&h, &li, &li_case).await;
    confirm_and_submit(&h, &li, &li_case, &li_attempt)
        .await
        .ok(200);
    let due = (h.now() + Duration::hours(48))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    for (who, case, ahead) in [(&token, &id, 0), (&li, &li_case, 1)] {
        let standing = h.get(&format!("/v1/collections/{case}"), who).await;
        let standing = &standing.ok(200)["in_review"];
        assert_eq!(standing["queue_ahead"], ahead);
        assert_eq!(standing["decision_due"], due.as_str());
    }

    let withdraw = format!("/v1/collections/{id}/withdraw");
    let stranger = h.student("o-stranger").await;
    h.post(&withdraw, Some(&stranger), json!({}))
        .await
        .refused(403, "forbidden");

    let back = h.post(&withdraw, Some(&token), json!({})).await;
    let back = back.ok(200);
    assert_eq!(back["status"], "awaiting_photo");
    // Li Si moves up.
    let standing = h.get(&format!("/v1/collections/{li_case}"), &li).await;
    assert_eq!(standing.ok(200)["in_review"]["queue_ahead"], 0);
    let table = &h.env.store.table;
    let case = table.collection(id.parse().unwrap()).await.unwrap();
    assert!(case.payment.is_some(), "no payment is asked again");
    let events = table.events(case.id).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!((last.kind(), &last.actor), ("withdraw", &Actor::Student));
    h.post(&withdraw, Some(&token), json!({}))
        .await
        .refused(409, "not_in_review");
    // The ID card is the student's to replace again.
    h.post(
        "/v1/identity/portrait",
        Some(&token),
        json!({"content_type": "image/jpeg", "content_length": 1000}),
    )
    .await
    .ok(200);

    // The same photo goes back to review.
    let again = confirm_and_submit(&h, &token, &id, &attempt).await;
    assert_eq!(again.ok(200)["status"], "in_review");
}

/// Once a reviewer holds the case, the photo stays: the answer says so and until when. A claim
/// and a withdrawal racing each other never both take effect: either the case went back and
/// the reviewer cannot decide it, or the reviewer holds it and the withdrawal was refused.
#[tokio::test]
async fn a_photo_a_reviewer_holds_cannot_be_withdrawn_and_a_race_has_one_winner() {
    let h = Harness::new().await;
    let (token, id, _) = submitted_case(&h).await;
    let reviewer = h.staff(Role::Reviewer, "reviewer-1");
    let claim = format!("/v1/review/cases/{id}/claim");
    let (status, _) = review_call(&h, Method::POST, &reviewer, &claim).await;
    assert_eq!(status, 200);
    let withdraw = format!("/v1/collections/{id}/withdraw");
    let held = h.post(&withdraw, Some(&token), json!({})).await;
    held.refused(409, "held_by_reviewer");
    assert!(held.body["details"]["lease_until"].is_string());
    assert_eq!(
        stored(&h, &id).await.status,
        domain::CollectionStatus::InReview
    );
    // The reviewer lets go; now the student may.
    let (status, _) = review_call(&h, Method::DELETE, &reviewer, &claim).await;
    assert_eq!(status, 200);
    h.post(&withdraw, Some(&token), json!({})).await.ok(200);

    // The race, from a fresh submission each round.
    for round in 0..4 {
        let attempt = passed_attempt(&h, &token, &id).await;
        confirm_and_submit(&h, &token, &id, &attempt).await.ok(200);
        let reviewer = h.staff(Role::Reviewer, &format!("reviewer-race-{round}"));
        let (withdrawn, (claimed, _)) = tokio::join!(
            h.post(&withdraw, Some(&token), json!({})),
            review_call(&h, Method::POST, &reviewer, &claim),
        );
        let approve = format!("/v1/review/cases/{id}/approve");
        let (approved, _) = review_call(&h, Method::POST, &reviewer, &approve).await;
        let case = stored(&h, &id).await;
        if withdrawn.status == 200 {
            assert_ne!(
                approved, 200,
                "round {round}: a withdrawn photo was approved"
            );
            assert_eq!(case.status, domain::CollectionStatus::AwaitingPhoto);
            // A claim that landed after the withdrawal holds nothing worth keeping.
            review_call(&h, Method::DELETE, &reviewer, &claim).await;
        } else {
            withdrawn.refused(409, "held_by_reviewer");
            assert_eq!((claimed, approved), (200, 200), "round {round}");
            assert_eq!(case.status, domain::CollectionStatus::Approved);
            break;
        }
    }
}

/// After approval the student downloads the approved photo: exactly the one approved, and
/// nobody else is given the link.
#[tokio::test]
async fn the_approved_photo_is_the_student_s_to_download() {
    let h = Harness::new().await;
    let (token, id, attempt) = submitted_case(&h).await;
    let view = h.get(&format!("/v1/collections/{id}"), &token).await;
    assert_eq!(
        view.ok(200).get("approved_photo"),
        None,
        "not before approval"
    );
    let reviewer = h.staff(Role::Reviewer, "reviewer-1");
    for path in ["claim", "approve"] {
        let path = format!("/v1/review/cases/{id}/{path}");
        let (status, body) = review_call(&h, Method::POST, &reviewer, &path).await;
        assert_eq!(status, 200, "{body}");
    }
    let view = h.get(&format!("/v1/collections/{id}"), &token).await;
    let kept = fetched(&view.ok(200)["approved_photo"]).await;
    assert_eq!(kept, standardised(&attempt));
    assert_eq!(view.body.get("in_review"), None);
    let ops = h.get(&format!("/v1/collections/{id}"), &h.operator()).await;
    assert_eq!(ops.ok(200).get("approved_photo"), None);
    let stranger = h.student("o-stranger").await;
    h.get(&format!("/v1/collections/{id}"), &stranger)
        .await
        .refused(403, "forbidden");
}

#[tokio::test]
async fn operators_create_tasks_and_import_rosters_all_or_nothing() {
    let h = Harness::new().await;
    let ops = h.operator();
    let code = session_code();
    let task = h.task(&code).await;
    let task_id = task["id"].as_str().unwrap();
    assert_eq!(task["profile"]["background"], "blue");

    // The session code is unique; bad fields are named.
    let duplicate = json!({
        "session_code": code, "school": "另一所大学", "education_level": "master",
        "graduation_year": 2026, "fee_fen": 3000,
        "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2026-12-31T00:00:00Z",
    });
    h.post("/v1/tasks", Some(&ops), duplicate.clone())
        .await
        .refused(409, "session_code_taken");
    let mut bad = duplicate.clone();
    bad["session_code"] = json!("1234");
    let refused = h.post("/v1/tasks", Some(&ops), bad).await;
    refused.refused(422, "invalid_field");
    assert_eq!(refused.body["details"]["field"], "session_code");
    let mut unknown = duplicate.clone();
    unknown["colour"] = json!("red");
    h.post("/v1/tasks", Some(&ops), unknown)
        .await
        .refused(400, "bad_request");
    let mut unknown_in_profile = duplicate;
    unknown_in_profile["session_code"] = json!(session_code());
    unknown_in_profile["profile"] =
        json!({"background": "white", "min_kb": 20, "max_kb": 40, "dpi": 300});
    h.post("/v1/tasks", Some(&ops), unknown_in_profile)
        .await
        .refused(400, "bad_request");

    let listed = h.get("/v1/tasks", &ops).await;
    assert_eq!(listed.ok(200)["tasks"][0]["id"], task_id);
    assert_eq!(
        h.get(&format!("/v1/tasks/{task_id}"), &ops).await.ok(200)["id"],
        task_id
    );
    h.get(&format!("/v1/tasks/{}", CollectionId::new()), &ops)
        .await
        .refused(404, "not_found");

    // A roster with bad rows: every problem by line, nothing written.
    let csv = format!(
        "学号,姓名,身份证号,专业\n2022001,{ZHANG},{},软件工程\n2022002,李四,123,软件工程\n2022003,,{},法学\n",
        zhang_id(),
        id_number("11010520031109246"),
    );
    let answer = h.import(task_id, &csv).await;
    answer.refused(422, "roster_rows_invalid");
    let rows = &answer.body["details"]["rows"];
    assert_eq!(rows[0]["line"], 3);
    assert_eq!(rows[0]["field"], "id_number");
    assert_eq!(rows[1]["line"], 4);
    assert_eq!(rows[1]["field"], "name");
    let progress = h.get(&format!("/v1/tasks/{task_id}/progress"), &ops).await;
    assert_eq!(progress.ok(200)["enrolled"], 0, "nothing was imported");

    h.import(task_id, "学号,姓名\n1,2\n")
        .await
        .refused(422, "roster_unreadable");

    // A good roster, imported twice: the same rows.
    let good = roster_csv(&[
        ("2022001", ZHANG, &zhang_id(), ""),
        ("2022002", "李四", &id_number("11010520031109246"), ""),
    ]);
    assert_eq!(h.import(task_id, &good).await.ok(200)["imported"], 2);
    assert_eq!(h.import(task_id, &good).await.ok(200)["imported"], 2);
    let progress = h.get(&format!("/v1/tasks/{task_id}/progress"), &ops).await;
    let progress = progress.ok(200);
    assert_eq!(progress["enrolled"], 2);
    assert_eq!(progress["started"], 0);
    assert_eq!(
        progress["not_started"][0],
        json!({"student_number": "2022001", "name": "张*"})
    );
}

#[tokio::test]
async fn a_roster_of_ten_thousand_rows_imports_in_one_request() {
    let h = Harness::new().await;
    let task = h.task(&session_code()).await;
    let task_id = task["id"].as_str().unwrap();
    let mut csv = String::from("学号,姓名,身份证号,图像采集码\n");
    for i in 0..10_000u32 {
        let body = format!("440106200{:01}0{:01}1{:05}", i % 10, 1 + i % 9, i);
        let body = &body[..17];
        csv.push_str(&format!("S{i:05},学生{i},{},C{i:05}\n", id_number(body)));
    }
    assert_eq!(h.import(task_id, &csv).await.ok(200)["imported"], 10_000);
    let progress = h
        .get(&format!("/v1/tasks/{task_id}/progress"), &h.operator())
        .await;
    assert_eq!(progress.ok(200)["enrolled"], 10_000);
    // The last row's collection code leads to it.
    let row = h
        .env
        .store
        .table
        .enrollment_by_chsi_code("C09999")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.student_number, "S09999");
}

#[tokio::test]
async fn linking_by_roster_opens_one_case_and_again_returns_it() {
    let h = Harness::new().await;
    let task_id = task_with_roster(&h).await;
    let stranger = h.student("o-unverified").await;
    h.post("/v1/links/roster", Some(&stranger), json!({}))
        .await
        .refused(403, "identity_required");

    let token = h.verified_student("o-zhang", ZHANG, &zhang_id()).await;
    let first = h.post("/v1/links/roster", Some(&token), json!({})).await;
    let linked = &first.ok(200)["collections"][0];
    assert_eq!(linked["created"], true);
    let case = &linked["collection"];
    assert_eq!(case["status"], "awaiting_payment");
    assert_eq!(case["next_step"], "pay");
    assert_eq!(case["task"]["id"], task_id.as_str());
    assert_eq!(case["task"]["fee_fen"], 3000);
    assert_eq!(case["enrollment"]["student_number"], "2022001");
    assert_eq!(case["enrollment"]["name"], "张*");
    assert_eq!(case["enrollment"]["id_number"], masked(&zhang_id()));

    let again = h.post("/v1/links/roster", Some(&token), json!({})).await;
    let again = &again.ok(200)["collections"][0];
    assert_eq!(again["created"], false);
    assert_eq!(again["collection"]["id"], case["id"]);

    // Someone verified with a number that is on no roster.
    let li_other = id_number("11010519990101001");
    let nobody = h.verified_student("o-nobody", "钱七", &li_other).await;
    h.post("/v1/links/roster", Some(&nobody), json!({}))
        .await
        .refused(404, "not_on_roster");
}

#[tokio::test]
async fn a_closed_or_future_session_cannot_be_linked() {
    let h = Harness::new().await;
    let now = h.now();
    let closed = h
        .task_open_between(
            &session_code(),
            now - Duration::days(30),
            now - Duration::days(1),
        )
        .await;
    let csv = roster_csv(&[("2022001", ZHANG, &zhang_id(), "")]);
    h.import(closed["id"].as_str().unwrap(), &csv).await.ok(200);
    let token = h.verified_student("o-late", ZHANG, &zhang_id()).await;
    h.post("/v1/links/roster", Some(&token), json!({}))
        .await
        .refused(409, "session_closed");

    let future_code = session_code();
    let future = h
        .task_open_between(
            &future_code,
            now + Duration::days(1),
            now + Duration::days(30),
        )
        .await;
    h.import(future["id"].as_str().unwrap(), &csv).await.ok(200);
    h.post(
        "/v1/links/session-code",
        Some(&token),
        json!({"session_code": future_code, "student_number": "2022001"}),
    )
    .await
    .refused(409, "session_not_open");

    // With one open session among them, the automatic link takes the open one and says why it
    // skipped the others.
    let open = h.task(&session_code()).await;
    h.import(open["id"].as_str().unwrap(), &csv).await.ok(200);
    let linked = h.post("/v1/links/roster", Some(&token), json!({})).await;
    let linked = linked.ok(200);
    assert_eq!(linked["collections"].as_array().unwrap().len(), 1);
    assert_eq!(
        linked["collections"][0]["collection"]["task"]["id"],
        open["id"]
    );
    let mut skipped: Vec<&str> = linked["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    skipped.sort();
    assert_eq!(skipped, ["session_closed", "session_not_open"]);
}

fn qr_png(text: &str) -> String {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let image = code
        .render::<image::Luma<u8>>()
        .min_dimensions(300, 300)
        .build();
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(png)
}

#[tokio::test]
async fn linking_by_collection_code_checks_the_last_four_and_reads_qr_screenshots() {
    let h = Harness::new().await;
    task_with_roster(&h).await;
    let token = h.verified_student("o-zhang", ZHANG, &zhang_id()).await;
    let last4 = zhang_id()[14..].to_owned();

    h.post(
        "/v1/links/chsi-code",
        Some(&token),
        json!({"code": "CJM2022001", "id_last4": "0000"}),
    )
    .await
    .refused(404, "no_matching_record");
    h.post(
        "/v1/links/chsi-code",
        Some(&token),
        json!({"code": "NOPE", "id_last4": last4}),
    )
    .await
    .refused(404, "no_matching_record");
    h.post(
        "/v1/links/chsi-code",
        Some(&token),
        json!({"code": "bad code!", "id_last4": last4}),
    )
    .await
    .refused(422, "invalid_chsi_code");
    h.post(
        "/v1/links/chsi-code",
        Some(&token),
        json!({"id_last4": last4}),
    )
    .await
    .refused(400, "bad_request");
    // Li Si's code with Li Si's last four is still not Zhang San's record.
    let li_last4 = id_number("11010520031109246")[14..].to_owned();
    h.post(
        "/v1/links/chsi-code",
        Some(&token),
        json!({"code": "CJM2022002", "id_last4": li_last4}),
    )
    .await
    .refused(404, "no_matching_record");

    // A screenshot of the QR (a link with the code in it), decoded on the server.
    let qr = qr_png("https://www.chsi.com.cn/xlcx/tx?cjm=CJM2022001");
    let linked = h
        .post(
            "/v1/links/chsi-code",
            Some(&token),
            json!({"qr_image": qr, "id_last4": last4}),
        )
        .await;
    assert_eq!(
        linked.ok(201)["collection"]["enrollment"]["student_number"],
        "2022001"
    );
    let again = h
        .post(
            "/v1/links/chsi-code",
            Some(&token),
            json!({"code": "CJM2022001", "id_last4": last4}),
        )
        .await;
    assert_eq!(again.ok(200)["created"], false);

    let blank = image::GrayImage::from_pixel(50, 50, image::Luma([255]));
    let mut png = Vec::new();
    blank
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let blank = base64::engine::general_purpose::STANDARD.encode(png);
    h.post(
        "/v1/links/chsi-code",
        Some(&token),
        json!({"qr_image": blank, "id_last4": last4}),
    )
    .await
    .refused(422, "qr_unreadable");

    // Three wrong guesses so far (malformed input is not a guess, and the two right ones gave
    // theirs back): two more fill the window, after which even the right answer is refused
    // until the window turns, at the next full hour.
    for code in ["NOPE2", "NOPE3"] {
        h.post(
            "/v1/links/chsi-code",
            Some(&token),
            json!({"code": code, "id_last4": last4}),
        )
        .await
        .refused(404, "no_matching_record");
    }
    let full = h
        .post(
            "/v1/links/chsi-code",
            Some(&token),
            json!({"code": "CJM2022001", "id_last4": last4}),
        )
        .await;
    full.refused(429, "too_many_attempts");
    assert_eq!(
        full.body["details"]["retry_at"],
        next_hour_in_china(h.now())
    );
}

/// Two students may share a name (张三 is common). One who learned the other's session code and
/// 学号, or collection code and last four, must still not link the other's record: the photo
/// would pass the face match against their own ID card and land on the other's diploma.
#[tokio::test]
async fn a_student_with_the_same_name_cannot_link_the_others_record_by_any_code() {
    let h = Harness::new().await;
    let session = session_code();
    let task = h.task(&session).await;
    let csv = roster_csv(&[("2022001", ZHANG, &zhang_id(), "CJM2022001")]);
    h.import(task["id"].as_str().unwrap(), &csv).await.ok(200);
    let namesake = h
        .verified_student("o-other-zhang", ZHANG, &id_number("11010519990101123"))
        .await;
    let last4 = zhang_id()[14..].to_owned();

    h.post(
        "/v1/links/session-code",
        Some(&namesake),
        json!({"session_code": session, "student_number": "2022001"}),
    )
    .await
    .refused(404, "no_matching_record");
    h.post(
        "/v1/links/chsi-code",
        Some(&namesake),
        json!({"code": "CJM2022001", "id_last4": last4}),
    )
    .await
    .refused(404, "no_matching_record");
    h.post("/v1/links/roster", Some(&namesake), json!({}))
        .await
        .refused(404, "not_on_roster");

    // The real 张三 links as before.
    let zhang = h.verified_student("o-zhang", ZHANG, &zhang_id()).await;
    h.post(
        "/v1/links/session-code",
        Some(&zhang),
        json!({"session_code": session, "student_number": "2022001"}),
    )
    .await
    .ok(201);
}

/// The school typed a student's ID number wrong: the student cannot link the row themselves
/// (it is not theirs by the number), but can ask an operator to confirm it. A namesake's row or
/// a row of another name gets the code routes' one answer.
#[tokio::test]
async fn a_roster_typo_goes_to_an_operator_and_only_a_row_of_the_student_s_name_can() {
    let h = Harness::new().await;
    let code = session_code();
    let task = h.task(&code).await;
    let typo = id_number("44010620040517124");
    let csv = roster_csv(&[
        ("2022001", ZHANG, &typo, ""),
        ("2022002", "李四", &id_number("11010520031109246"), ""),
    ]);
    h.import(task["id"].as_str().unwrap(), &csv).await.ok(200);
    let token = h.verified_student("o-zhang", ZHANG, &zhang_id()).await;
    let link = |number: &str| json!({"session_code": code, "student_number": number});
    h.post("/v1/links/session-code", Some(&token), link("2022001"))
        .await
        .refused(404, "no_matching_record");

    let path = "/v1/links/confirmation-requests";
    for other in ["2022002", "2099999"] {
        h.post(path, Some(&token), link(other))
            .await
            .refused(404, "no_matching_record");
    }
    let filed = h.post(path, Some(&token), link("2022001")).await;
    assert_eq!(filed.ok(202)["kind"], "link");
    let pending = h.env.store.table.pending_requests().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert!(matches!(
        &pending[0].kind,
        store::RequestKind::Link { openid, student_number, .. }
            if openid == "o-zhang" && student_number == "2022001"
    ));
    // Filing opened nothing.
    let mine = h.get("/v1/collections", &token).await;
    assert_eq!(mine.ok(200)["collections"], json!([]));
}

#[tokio::test]
async fn linking_by_session_code_and_student_number() {
    let h = Harness::new().await;
    let code = session_code();
    let task = h.task(&code).await;
    let csv = roster_csv(&[
        ("2022001", ZHANG, &zhang_id(), ""),
        ("2022002", "李四", &id_number("11010520031109246"), ""),
    ]);
    h.import(task["id"].as_str().unwrap(), &csv).await.ok(200);
    let token = h.verified_student("o-zhang", ZHANG, &zhang_id()).await;
    let link =
        |session: &str, number: &str| json!({"session_code": session, "student_number": number});
    h.post(
        "/v1/links/session-code",
        Some(&token),
        link("123", "2022001"),
    )
    .await
    .refused(422, "invalid_field");
    let other_code = if code == "00000000" {
        "00000001"
    } else {
        "00000000"
    };
    h.post(
        "/v1/links/session-code",
        Some(&token),
        link(other_code, "2022001"),
    )
    .await
    .refused(404, "session_not_found");
    h.post(
        "/v1/links/session-code",
        Some(&token),
        link(&code, "2099999"),
    )
    .await
    .refused(404, "no_matching_record");
    h.post(
        "/v1/links/session-code",
        Some(&token),
        link(&code, "2022002"),
    )
    .await
    .refused(404, "no_matching_record");
    let linked = h
        .post(
            "/v1/links/session-code",
            Some(&token),
            link(&code, "2022001"),
        )
        .await;
    assert_eq!(linked.ok(201)["collection"]["status"], "awaiting_payment");

    // The same record from another WeChat account: a second account cannot even be
    // verified as Zhang San (see `one_identity_belongs_to_one_account`), so it has nothing
    // to link with.
    let twin = h.student("o-zhang-2").await;
    h.post(
        "/v1/links/session-code",
        Some(&twin),
        link(&code, "2022001"),
    )
    .await
    .refused(403, "identity_required");
}

#[tokio::test]
async fn a_student_sees_only_their_own_cases_and_operators_see_the_audit_trail() {
    let h = Harness::new().await;
    let (token, id) = linked_student(&h).await;
    let mine = h.get("/v1/collections", &token).await;
    assert_eq!(mine.ok(200)["collections"][0]["id"], id.as_str());
    assert_eq!(
        h.get(&format!("/v1/collections/{id}"), &token)
            .await
            .ok(200)["id"],
        id.as_str()
    );

    let li = h
        .verified_student("o-li", "李四", &id_number("11010520031109246"))
        .await;
    assert_eq!(
        h.get("/v1/collections", &li).await.ok(200)["collections"],
        json!([])
    );
    h.get(&format!("/v1/collections/{id}"), &li)
        .await
        .refused(403, "forbidden");
    h.post(
        &format!("/v1/collections/{id}/attempts"),
        Some(&li),
        json!({"content_type": "image/jpeg", "content_length": 10}),
    )
    .await
    .refused(403, "forbidden");
    h.get(&format!("/v1/collections/{}", CollectionId::new()), &li)
        .await
        .refused(404, "not_found");
    h.get("/v1/collections/not-an-id", &li)
        .await
        .refused(404, "not_found");

    h.get(&format!("/v1/collections/{id}/events"), &token)
        .await
        .refused(403, "forbidden");
    let ops = h.operator();
    assert_eq!(
        h.get(&format!("/v1/collections/{id}"), &ops).await.ok(200)["id"],
        id.as_str()
    );
    let trail = h.get(&format!("/v1/collections/{id}/events"), &ops).await;
    let trail = trail.ok(200);
    let events = trail["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["to"], "awaiting_payment");
    // The trail names the student by role, never by account.
    assert_eq!(events[0]["actor"], json!({"kind": "student"}));
    assert!(!trail.to_string().contains("o-zhang"), "{trail}");
    assert_eq!(trail["notices"], json!([]));

    // The notifier's record of a message about an event is part of the trail.
    let notice = store::Notice {
        collection_id: id.parse().unwrap(),
        version: 1,
        kind: store::NoticeKind::Approved,
        outcome: store::NoticeOutcome::NotSubscribed,
        at: h.now(),
    };
    assert!(h.env.store.table.record_notice(&notice).await.unwrap());
    let trail = h.get(&format!("/v1/collections/{id}/events"), &ops).await;
    let notices = trail.ok(200)["notices"].clone();
    assert_eq!(notices[0]["version"], 1);
    assert_eq!(notices[0]["kind"], "approved");
    assert_eq!(notices[0]["outcome"], "not_subscribed");
}

#[tokio::test]
async fn attempts_need_payment_and_only_a_passed_attempt_can_be_submitted() {
    let h = Harness::new().await;
    let (token, id) = linked_student(&h).await;
    let attempts = format!("/v1/collections/{id}/attempts");
    let jpeg = json!({"content_type": "image/jpeg", "content_length": 2048});
    h.post(&attempts, Some(&token), jpeg.clone())
        .await
        .refused(409, "payment_required");

    pay(&h, &token, &id).await;
    h.post(
        &attempts,
        Some(&token),
        json!({"content_type": "image/gif", "content_length": 10}),
    )
    .await
    .refused(422, "unsupported_format");
    h.post(
        &attempts,
        Some(&token),
        json!({"content_type": "image/png", "content_length": 0}),
    )
    .await
    .refused(422, "empty_file");
    h.post(
        &attempts,
        Some(&token),
        json!({"content_type": "image/jpeg", "content_length": 16 * 1024 * 1024}),
    )
    .await
    .refused(413, "file_too_large");

    // A presigned PUT that moto accepts, under the attempt's key.
    let first = start_attempt(&h, &token, &id).await;
    let rejected_id = first["attempt_id"].as_str().unwrap().to_owned();
    let url = first["upload"]["url"].as_str().unwrap();
    assert!(url.contains(&format!("attempts/{id}/{rejected_id}")));
    let put = localstack::http_client()
        .put(url)
        .header("content-type", "image/jpeg")
        .body(vec![0xFFu8; 2048])
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());

    let submit = format!("/v1/collections/{id}/submit");
    let unseen = json!({"attempt_id": rejected_id, "standardised_sha256": ""});
    h.post(&submit, Some(&token), unseen)
        .await
        .refused(409, "attempt_not_passed");
    check(
        &h,
        &id,
        &rejected_id,
        CheckOutcome::Rejected {
            reasons: vec![ReasonCode::Earrings],
            review_flags: vec![],
        },
    )
    .await;
    let rejected = json!({"attempt_id": rejected_id, "standardised_sha256": ""});
    h.post(&submit, Some(&token), rejected)
        .await
        .refused(409, "attempt_not_passed");
    let case = h.get(&format!("/v1/collections/{id}"), &token).await;
    let attempt = &case.ok(200)["attempts"][0];
    assert_eq!(attempt["status"], "rejected");
    assert_eq!(attempt["reasons"][0]["code"], "earrings");
    assert!(
        attempt["reasons"][0]["hint_zh"]
            .as_str()
            .unwrap()
            .contains("耳")
    );
    // Where the problem is, for the client to draw on the photo: both ears; to the owner only.
    assert_eq!(
        attempt["point_at"],
        json!([{"code": "earrings", "region": "ears", "areas": [
            {"x": 0.25, "y": 0.35, "w": 0.1, "h": 0.05},
            {"x": 0.65, "y": 0.35, "w": 0.1, "h": 0.05},
        ]}])
    );
    assert_eq!(
        fetched(&attempt["preview"]).await,
        format!("preview of {rejected_id}").into_bytes()
    );
    let ops = h.get(&format!("/v1/collections/{id}"), &h.operator()).await;
    assert_eq!(ops.ok(200)["attempts"][0].get("point_at"), None);
    assert_eq!(ops.body["attempts"][0].get("preview"), None);
    assert_eq!(case.body["next_step"], "upload");

    // A retake that passes: submitted, and the case is in review and locked for uploads.
    let second = start_attempt(&h, &token, &id).await;
    let passed_id = second["attempt_id"].as_str().unwrap().to_owned();
    check(
        &h,
        &id,
        &passed_id,
        CheckOutcome::Passed {
            review_flags: vec![],
        },
    )
    .await;
    let case = h.get(&format!("/v1/collections/{id}"), &token).await;
    assert_eq!(case.ok(200)["next_step"], "submit");
    // The student is shown the standardised photo they are about to confirm, for five
    // minutes; an operator's view of the case carries no link to it.
    let shown = &case.body["attempts"][1]["standardised"];
    let expires: OffsetDateTime = time::OffsetDateTime::parse(
        shown["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires - h.now() <= Duration::minutes(5));
    assert_eq!(
        case.body["attempts"][0].get("standardised"),
        None,
        "rejected"
    );
    assert_eq!(
        fetched(&case.body["attempts"][1]["preview"]).await,
        format!("preview of {passed_id}").into_bytes()
    );
    let ops = h.get(&format!("/v1/collections/{id}"), &h.operator()).await;
    assert_eq!(ops.ok(200)["attempts"][1].get("standardised"), None);
    assert_eq!(ops.body["attempts"][1].get("preview"), None);
    h.post(
        &submit,
        Some(&token),
        json!({"attempt_id": AttemptId::new().to_string(), "standardised_sha256": ""}),
    )
    .await
    .refused(404, "not_found");
    // Confirming without having seen it, or something else than what is on record: refused.
    h.post(&submit, Some(&token), json!({"attempt_id": passed_id}))
        .await
        .refused(400, "bad_request");
    let other = store::Digest::of(b"another photo").to_string();
    h.post(
        &submit,
        Some(&token),
        json!({"attempt_id": passed_id, "standardised_sha256": other}),
    )
    .await
    .refused(409, "photo_not_confirmed");
    assert_eq!(
        h.env
            .store
            .table
            .collection(id.parse().unwrap())
            .await
            .unwrap()
            .status,
        domain::CollectionStatus::AwaitingPhoto,
        "nothing was submitted"
    );
    let submitted = confirm_and_submit(&h, &token, &id, &passed_id).await;
    let submitted = submitted.ok(200);
    assert_eq!(submitted["status"], "in_review");
    assert_eq!(submitted["submitted_attempt"], passed_id.as_str());
    assert_eq!(submitted["payment"]["amount_fen"], 3000);
    h.post(&attempts, Some(&token), jpeg)
        .await
        .refused(409, "in_review");

    let progress = h
        .get(
            &format!(
                "/v1/tasks/{}/progress",
                submitted["task"]["id"].as_str().unwrap()
            ),
            &h.operator(),
        )
        .await;
    let progress = progress.ok(200);
    assert_eq!(progress["by_status"]["in_review"], 1);
    assert_eq!(progress["by_status"]["awaiting_payment"], 0);
    assert_eq!(progress["started"], 1);
    assert!(progress["oldest_in_review_since"].is_string());
    assert_eq!(
        progress["not_started"],
        json!([{"student_number": "2022002", "name": "李*"}])
    );
}

#[tokio::test]
async fn bodies_are_size_limited_and_no_input_makes_a_handler_fail() {
    let h = Harness::new().await;
    let student = h.student("o-fuzz").await;
    let ops = h.operator();
    let huge = "x".repeat(17 * 1024);
    h.post("/v1/identity", Some(&student), json!({ "name": huge }))
        .await
        .refused(413, "payload_too_large");

    let garbage: [&[u8]; 7] = [
        b"",
        b"null",
        b"[]",
        b"{\"code\": 1}",
        b"\xff\xfe\x00",
        b"{\"name\":\"\\u0000\",\"id_number\":\"\",\"portrait\":{\"content_type\":\"\",\"content_length\":-1}}",
        b"{{{{",
    ];
    for route in api::router::ROUTES {
        let path = route
            .path
            .replace("{collection_id}", &CollectionId::new().to_string())
            .replace("{task_id}", &CollectionId::new().to_string());
        for body in garbage {
            for token in [&student, &ops] {
                let answer = h
                    .call(
                        route.method.clone(),
                        &path,
                        Some(token),
                        Body::Binary(body.to_vec()),
                    )
                    .await;
                // Routes that read no body answer normally; the rest refuse with a code.
                assert!(
                    answer.status < 500,
                    "{} {path} with {body:?}: {} {}",
                    route.method,
                    answer.status,
                    answer.body
                );
                assert!(answer.status < 400 || answer.body["code"].is_string());
            }
        }
    }
}

#[tokio::test]
async fn paying_signs_the_payment_sheet_and_the_notification_pays_the_case() {
    let h = Harness::new().await;
    let (token, id) = linked_student(&h).await;
    let path = format!("/v1/collections/{id}/payment");
    let checkout = h.post(&path, Some(&token), json!({})).await;
    let body = checkout.ok(200);
    assert_eq!(body["amount_fen"], 3000);
    let sheet = &body["payment"];
    assert_eq!(sheet["appId"], h.wechat.appid.as_str());
    assert_eq!(sheet["signType"], "RSA");
    assert!(sheet["package"].as_str().unwrap().starts_with("prepay_id="));
    assert!(!sheet["paySign"].as_str().unwrap().is_empty());
    // Asking again gives the same order while it can be paid.
    let again = h.post(&path, Some(&token), json!({})).await;
    assert_eq!(again.ok(200)["order_no"], body["order_no"]);
    // Someone else's case, or staff: refused.
    let other = h.student("o-other").await;
    h.post(&path, Some(&other), json!({}))
        .await
        .refused(403, "forbidden");
    h.post(&path, Some(&h.operator()), json!({}))
        .await
        .refused(403, "forbidden");
    // Not paid until WeChat Pay says so.
    let case = h.get(&format!("/v1/collections/{id}"), &token).await;
    assert_eq!(case.ok(200)["status"], "awaiting_payment");

    pay(&h, &token, &id).await;
    let case = h.get(&format!("/v1/collections/{id}"), &token).await;
    let case = case.ok(200);
    assert_eq!(case["status"], "awaiting_photo");
    assert_eq!(case["payment"]["amount_fen"], 3000);
    h.post(&path, Some(&token), json!({}))
        .await
        .refused(409, "already_paid");
}

#[tokio::test]
async fn a_refund_is_asked_by_the_student_or_an_operator_and_shows_in_the_audit_trail() {
    let h = Harness::new().await;
    let (token, id) = linked_student(&h).await;
    let refund = format!("/v1/collections/{id}/refund");
    h.post(&refund, Some(&token), json!({}))
        .await
        .refused(409, "not_allowed");
    pay(&h, &token, &id).await;

    let asked = h
        .post(&refund, Some(&token), json!({"reason": "重复缴费"}))
        .await;
    let asked = asked.ok(202);
    assert_eq!(
        (asked["status"].as_str(), asked["amount_fen"].as_u64()),
        (Some("requested"), Some(3000))
    );
    h.post(&refund, Some(&h.operator()), json!({}))
        .await
        .refused(409, "refund_pending");
    let attempts = format!("/v1/collections/{id}/attempts");
    let jpeg = json!({"content_type": "image/jpeg", "content_length": 2048});
    h.post(&attempts, Some(&token), jpeg)
        .await
        .refused(409, "refund_pending");
    h.post(&refund, Some(&token), json!({"amount": 1}))
        .await
        .refused(400, "bad_request");

    let refund_no = asked["refund_no"].as_str().unwrap();
    let settled = h
        .pay
        .settle_refund(refund_no, wechat::pay::RefundStatus::Success)
        .unwrap();
    h.app
        .payments
        .receive(
            |n| settled.header(n),
            settled.body.as_bytes(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let case = h.get(&format!("/v1/collections/{id}"), &token).await;
    assert_eq!(case.ok(200)["status"], "awaiting_payment");
    let events = h
        .get(&format!("/v1/collections/{id}/events"), &h.operator())
        .await;
    let commands: Vec<&str> = events.ok(200)["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["command"]["type"].as_str())
        .collect();
    assert_eq!(commands, ["confirm_payment", "request_refund", "refund"]);

    // Operators see what WeChat Pay reported that no case could take.
    let anomalies = h.get("/v1/payments/anomalies", &h.operator()).await;
    assert_eq!(anomalies.ok(200)["anomalies"], json!([]));
    h.get("/v1/payments/anomalies", &token)
        .await
        .refused(403, "forbidden");
}

fn address() -> Value {
    json!({
        "recipient": "张三",
        "phone": "138 0013 8000",
        "province": "广东省",
        "city": "广州市",
        "district": "天河区",
        "detail": "五山路381号32栋101",
    })
}

#[tokio::test]
async fn prints_are_ordered_with_the_payment_and_the_address_is_the_owner_s_to_read() {
    let h = Harness::new().await;
    let (token, id) = linked_student_offered_prints(&h).await;
    let case_path = format!("/v1/collections/{id}");
    let view = h.get(&case_path, &token).await;
    assert_eq!(view.ok(200)["print"]["offer"]["price_fen"], 1500);
    assert_eq!(view.body["print"]["offer"]["width_mm"], 33);
    assert_eq!(view.body["print"].get("order"), None);

    // No prints without somewhere to send them.
    let pay_path = format!("/v1/collections/{id}/payment");
    h.post(&pay_path, Some(&token), json!({"print": true}))
        .await
        .refused(409, "address_required");
    let address_path = format!("/v1/collections/{id}/address");
    let put = |token: String, body: Value| {
        let path = address_path.clone();
        let h = &h;
        async move {
            h.call(
                Method::PUT,
                &path,
                Some(&token),
                Body::Text(body.to_string()),
            )
            .await
        }
    };
    let mut bad = address();
    bad["phone"] = json!("1380013800");
    put(token.clone(), bad).await.refused(422, "invalid_field");
    let stranger = h.student("o-stranger").await;
    put(stranger, address()).await.refused(403, "forbidden");
    put(h.operator(), address()).await.refused(403, "forbidden");
    let saved = put(token.clone(), address()).await;
    assert_eq!(saved.ok(200)["address"]["phone"], "13800138000");
    // A table scan finds neither the street nor the phone.
    let dump = table_dump(&h).await;
    assert!(
        !dump.contains("13800138000") && !dump.contains("五山路"),
        "the address is stored in the clear"
    );

    // With prints the order is for both; without, for the collection; each change is a new order.
    let with = h
        .post(&pay_path, Some(&token), json!({"print": true}))
        .await;
    assert_eq!(with.ok(200)["amount_fen"], 4500);
    let without = h.post(&pay_path, Some(&token), json!({})).await;
    assert_eq!(without.ok(200)["amount_fen"], 3000);
    assert_ne!(without.body["order_no"], with.body["order_no"]);
    pay_for(&h, &token, &id, json!({"print": true})).await;

    let view = h.get(&case_path, &token).await;
    let view = view.ok(200);
    assert_eq!(view["payment"]["amount_fen"], 4500);
    assert_eq!(view["print"]["order"]["stage"], "ordered");
    assert_eq!(view["print"]["order"]["price_fen"], 1500);
    assert_eq!(view["print"]["address"]["detail"], "五山路381号32栋101");
    let ops = h.get(&case_path, &h.operator()).await;
    let masked = &ops.ok(200)["print"]["address"];
    assert_eq!(
        (
            masked["recipient"].as_str(),
            masked["phone"].as_str(),
            masked["detail"].as_str()
        ),
        (Some("张*"), Some("138****8000"), Some("****"))
    );
    let received = format!("/v1/collections/{id}/print/received");
    h.post(&received, Some(&token), json!({}))
        .await
        .refused(409, "not_shipped");

    // Printed and shipped by the operators (functions/review): the student sees the tracking
    // number, may no longer change the address, and confirms the parcel; the address goes.
    let case_id: CollectionId = id.parse().unwrap();
    let table = &h.env.store.table;
    let operator = Actor::Operator("ops-1".into());
    let approved = run_to_approval(&h, &token, &id).await;
    assert_eq!(approved.status, domain::CollectionStatus::Approved);
    for command in [
        Command::Printed {
            batch_id: domain::PrintBatchId::new(),
        },
        Command::Shipped {
            courier: "顺丰速运".into(),
            tracking_no: "SF1234567890".into(),
        },
    ] {
        table
            .transition(case_id, command, operator.clone(), h.now())
            .await
            .unwrap();
    }
    let view = h.get(&case_path, &token).await;
    let shipped = &view.ok(200)["print"]["order"];
    assert_eq!(shipped["stage"], "shipped");
    assert_eq!(shipped["shipped"]["tracking_no"], "SF1234567890");
    put(token.clone(), address())
        .await
        .refused(409, "print_shipped");
    let done = h.post(&received, Some(&token), json!({})).await;
    assert_eq!(done.ok(200)["print"]["stage"], "delivered");
    assert_eq!(table.address(case_id).await.unwrap(), None);
    h.post(&received, Some(&token), json!({}))
        .await
        .refused(409, "not_allowed");
    let view = h.get(&case_path, &token).await;
    assert_eq!(view.ok(200)["print"].get("address"), None);
}

#[tokio::test]
async fn a_task_without_prints_takes_no_address_and_sells_none() {
    let h = Harness::new().await;
    let (token, id) = linked_student(&h).await;
    let view = h.get(&format!("/v1/collections/{id}"), &token).await;
    assert_eq!(view.ok(200).get("print"), None);
    h.call(
        Method::PUT,
        &format!("/v1/collections/{id}/address"),
        Some(&token),
        Body::Text(address().to_string()),
    )
    .await
    .refused(409, "no_print_offer");
    h.post(
        &format!("/v1/collections/{id}/payment"),
        Some(&token),
        json!({"print": true}),
    )
    .await
    .refused(409, "no_print_offer");
}

/// A student's erasure: confirmed or nothing, refused while a photo of theirs is in review,
/// one request however often (and however fast) asked, and a new one after a refusal.
#[tokio::test]
async fn a_student_asks_for_erasure_once_confirmed_and_only_while_nothing_waits_on_their_data() {
    let h = Harness::new().await;
    let (token, id, _) = submitted_case(&h).await;
    let ask = |confirm: bool| h.post("/v1/me/erasure", Some(&token), json!({"confirm": confirm}));
    ask(false).await.refused(422, "invalid_field");
    let blocked = ask(true).await;
    blocked.refused(409, "erasure_blocked");
    let said = blocked.body["message_zh"].as_str().unwrap();
    assert!(said.contains("审核"), "{said}");
    let table = &h.env.store.table;
    assert!(table.pending_requests().await.unwrap().is_empty());

    let withdraw = format!("/v1/collections/{id}/withdraw");
    h.post(&withdraw, Some(&token), json!({})).await.ok(200);
    // Asked twice at once: one request.
    let (a, b) = tokio::join!(ask(true), ask(true));
    let (a, b) = (a.ok(202), b.ok(202));
    assert_eq!(a["request_id"], b["request_id"]);
    assert_eq!(
        (&a["kind"], &a["status"]),
        (&json!("erasure"), &json!("pending"))
    );
    let pending = table.pending_requests().await.unwrap();
    assert_eq!(pending.len(), 1);
    let own = h.get("/v1/me/data", &token).await;
    let own = own.ok(200);
    assert_eq!(own["erasure"]["request_id"], a["request_id"]);
    assert_eq!(own["identity"]["id_number"], zhang_id());

    // Refused by an operator, it may be asked again: a new request.
    let decision = store::RequestDecision {
        by: "ops-1".into(),
        at: h.now(),
        reason: "学生撤回申请".into(),
    };
    table.refuse_request(&pending[0], decision).await.unwrap();
    let again = ask(true).await;
    let again = again.ok(202);
    assert_ne!(again["request_id"], a["request_id"]);
    assert_eq!(again["status"], "pending");
    // Another student sees none of it.
    let stranger = h.student("o-stranger").await;
    let theirs = h.get("/v1/me/data", &stranger).await;
    let theirs = theirs.ok(200);
    assert_eq!(
        (&theirs["erasure"], &theirs["cases"]),
        (&Value::Null, &json!([]))
    );
}
