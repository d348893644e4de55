//! The demo's journey, over HTTP through `cargo lambda watch`, on a stack of its own.

use domain::{Actor, CollectionStatus, Command, FaceMatch, IdNumber};
use e2e::{Body, Functions};
use localstack::TestEnv;
use serde_json::{Value, json};
use store::{NoticeKind, NoticeOutcome};
use time::OffsetDateTime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_student_goes_from_login_to_published_through_every_function() {
    let env = TestEnv::new().await;
    let stack = env.stack_names();
    let mut fns = Functions::start(&env.store, &stack).await.unwrap();
    let mut lines = Vec::new();
    let journey = e2e::walk(&mut fns, OffsetDateTime::now_utc(), &mut |l| lines.push(l))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", lines.join("\n")));
    // Shown when an assertion below fails.
    println!("{}", lines.join("\n"));
    let api = &fns.api;

    let case = env
        .store
        .table
        .collection(journey.collection)
        .await
        .unwrap();
    assert_eq!(case.status, CollectionStatus::Published);
    let events = env.store.table.events(case.id).await.unwrap();
    assert_eq!(events.len() as u64, case.version);
    assert_eq!(
        events.iter().map(|e| e.kind()).collect::<Vec<_>>(),
        [
            "created",
            "confirm_payment",
            "start_attempt",
            "begin_processing",
            "record_check",
            "submit",
            "send_to_retouch",
            "retouched",
            "approve",
            "batch",
            "acknowledge_published",
            "printed",
            "shipped"
        ]
    );
    // The face match was made at submission, against the student's own ID-card portrait (the
    // same photo here), and kept on the case for the reviewer.
    match &events[5].command {
        Some(Command::Submit {
            face_match:
                Some(FaceMatch::Same {
                    distance,
                    threshold,
                }),
            ..
        }) => assert!(distance < threshold, "{distance} vs {threshold}"),
        other => panic!("submit without a same-person match: {other:?}"),
    }
    assert!(matches!(case.face_match, Some(FaceMatch::Same { .. })));
    // The face it was matched against is the one printed on the student's ID card, read from
    // the card's photo, and the card reads the identity that was confirmed and verified.
    let printed = lines.join("\n");
    assert!(
        printed.contains("GET /v1/me → it reads 张* 440106"),
        "{printed}"
    );
    assert!(
        printed.contains("the ID card against the verified identity: matches (张* "),
        "{printed}"
    );
    // Decided by the reviewer who held the lease (the other was refused), which went with the
    // decision; published by the publisher.
    assert_eq!(events[8].actor, Actor::Reviewer("reviewer-1".into()));
    // Retouched on the way: the reviewer asked, the retoucher's photo passed its checks, and
    // what was approved and published is the retouched photo.
    assert_eq!(events[6].actor, Actor::Reviewer("reviewer-1".into()));
    match &events[7].command {
        Some(Command::Retouched { retoucher, .. }) => assert_eq!(retoucher, "retoucher-1"),
        other => panic!("not retouched: {other:?}"),
    }
    assert!(env.store.table.lease(case.id).await.unwrap().is_none());
    let publisher = Actor::System(publisher::ACTOR.into());
    assert_eq!(
        (&events[9].actor, &events[10].actor),
        (&publisher, &publisher)
    );
    // The notifier, fed the real stream, told the student twice on WeChat, and recorded it
    // against the events it was about.
    let notices = env.store.table.notices(case.id).await.unwrap();
    let told: Vec<_> = notices
        .iter()
        .map(|n| (n.version, n.kind, n.outcome.clone()))
        .collect();
    assert_eq!(
        told,
        [
            (7, NoticeKind::Retouching, NoticeOutcome::Sent),
            (8, NoticeKind::Retouched, NoticeOutcome::Sent),
            (9, NoticeKind::Approved, NoticeOutcome::Sent),
            (11, NoticeKind::Published, NoticeOutcome::Sent),
            (12, NoticeKind::Printed, NoticeOutcome::Sent),
            (13, NoticeKind::Shipped, NoticeOutcome::Sent)
        ]
    );
    let messages = fns.notifier.wechat.delivered();
    assert_eq!(
        messages
            .iter()
            .map(|m| (m.touser.as_str(), m.template_id.as_str()))
            .collect::<Vec<_>>(),
        [
            (journey.openid.as_str(), "tpl-retouching"),
            (journey.openid.as_str(), "tpl-retouched"),
            (journey.openid.as_str(), "tpl-approved"),
            (journey.openid.as_str(), "tpl-published"),
            (journey.openid.as_str(), "tpl-printed"),
            (journey.openid.as_str(), "tpl-shipped")
        ]
    );
    // The parcel's message carries the courier and the tracking number.
    assert!(
        messages[5].data.to_string().contains("SF1234567890"),
        "{}",
        messages[5].data
    );
    assert!(messages[0].page.contains(&case.id.to_string()));
    // Paid by WeChat Pay's notification through the webhook, for the task's fee and the
    // prints ordered with it, and every
    // call the API made to WeChat Pay carried the merchant's valid signature.
    assert_eq!(events[1].actor, domain::Actor::PaymentProvider);
    let payment = case.payment.as_ref().unwrap();
    assert_eq!((payment.amount_fen, payment.print_fen), (4500, 1500));
    // The prints were made of the approved photo and shipped; the student sees the tracking
    // number, and the address waits, sealed, for the delivery.
    let print = case.print.as_ref().expect("prints ordered");
    assert_eq!(print.stage(), domain::PrintStage::Shipped);
    assert!(
        printed.contains("prints shipped by 顺丰速运 SF1234567890"),
        "{printed}"
    );
    assert!(env.store.table.address(case.id).await.unwrap().is_some());
    let order = env
        .store
        .table
        .order(&payment.order_no)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.status, domain::OrderStatus::Paid);
    let pay_calls = api.pay.requests();
    assert!(!pay_calls.is_empty() && pay_calls.iter().all(|r| r.authorized));
    // The function really spoke to WeChat and the identity provider, as configured.
    assert_eq!(api.wechat.requests().len(), 1);
    assert!(api.wechat.requests()[0].secret_ok);
    assert_eq!(api.identity.requests().len(), 1);
    assert!(api.identity.requests()[0].authorized);
    // The portrait and the photo reached the uploads bucket through presigned PUTs.
    let listed = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&env.sdk)
            .force_path_style(true)
            .build(),
    )
    .list_objects_v2()
    .bucket(&env.stack.names.uploads_bucket)
    .send()
    .await
    .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert!(keys.iter().any(|k| k.starts_with("portraits/")), "{keys:?}");
    assert!(
        keys.contains(&format!("attempts/{}/{}", case.id, case.attempts[0].id).as_str()),
        "{keys:?}"
    );
    // The photo processor standardised the photo and described both faces, under the digest
    // of the bytes it checked, which it recorded with the verdict.
    let attempt = case.attempts[0].id;
    let checked = env
        .store
        .table
        .checked(case.id, attempt)
        .await
        .unwrap()
        .expect("the verdict's evidence");
    let stored = env
        .store
        .objects
        .read_photo_object(&checked.standardised_key())
        .await
        .unwrap()
        .expect("the standardised photo");
    let photo = image::load_from_memory(&stored).unwrap();
    assert_eq!((photo.width(), photo.height()), (480, 640));
    let student = env.store.table.student(&case.owner).await.unwrap().unwrap();
    let portrait = student.portrait.unwrap();
    assert_eq!(portrait.status, domain::PortraitStatus::Usable);
    for face in [
        store::FaceOf::Attempt(attempt, checked.digest),
        store::FaceOf::Portrait(
            portrait.id,
            portrait.sha256.as_deref().unwrap().parse().unwrap(),
        ),
    ] {
        assert!(
            env.store.table.face(face).await.unwrap().is_some(),
            "{face:?}"
        );
    }
    // 学信网's receiver got one archive with the approved photo (the retoucher's, who here sent
    // the standardised one back unchanged), byte for byte, and a manifest row that masks the
    // ID number.
    let approved_key = store::approved_photo_key(&case, &checked);
    assert!(approved_key.starts_with("retouched/"), "{approved_key}");
    let approved = env
        .store
        .objects
        .read_photo_object(&approved_key)
        .await
        .unwrap()
        .expect("the retouched photo");
    assert_eq!(approved, stored);
    let received = fns.publisher.chsi.received();
    assert_eq!(received.len(), 1);
    let (manifest, photos) = chsi::Archive::read(&received[0].1).unwrap();
    let [row] = manifest.as_slice() else {
        panic!("{manifest:?}")
    };
    assert_eq!(row.student_number, "2022110101");
    assert!(row.masked_id.contains('*') && !row.masked_id.contains("20040517"));
    assert_eq!(photos, [(row.photo_file.clone(), stored)]);
    // One origin in front of the HTTP functions, routed as the template routes: the console's
    // page from its bucket through the review function, the API's and the review's routes.
    let http = localstack::http_client();
    let page = http.get(fns.console_url()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(r#"src="app.js""#));
    let base = &fns.http_api.base_url;
    let reasons = http
        .get(format!("{base}/v1/review/reasons"))
        .bearer_auth(api.reviewer_token("reviewer-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(reasons.status(), 200);
    let trail = http
        .get(format!("{base}/v1/collections/{}/events", case.id))
        .bearer_auth(api.operator_token())
        .send()
        .await
        .unwrap();
    assert_eq!(trail.status(), 200);
    // The student saw the photo they confirmed, where they stood in review, and kept the
    // approved photo.
    assert!(
        printed.contains("0 ahead in review, decision due"),
        "{printed}"
    );
    assert!(
        printed.contains("downloads the approved photo (5-minute link) → HTTP 200"),
        "{printed}"
    );
    // What the demo prints never carries a full ID number or an unmasked name.
    assert!(!printed.contains("张三"), "{printed}");
    assert!(!printed.contains("20040517"), "{printed}");
    assert!(printed.contains("张*"));

    erasure(&env, &fns, &journey).await;
}

/// After the journey, the student downloads their data and asks for its erasure: refused
/// while the prints are in the post, filed once they arrived; an operator approves it; the
/// purger carries it out; the operator sees it done; nothing that names the student is left
/// in the table or the buckets, and the case keeps its anonymous history.
async fn erasure(env: &TestEnv, fns: &Functions, journey: &e2e::Journey) {
    let (api, table) = (&fns.api, &env.store.table);
    let token = api.login(&journey.openid).await.unwrap();
    let ask = || async {
        let confirm = Body::Json(json!({"confirm": true}));
        api.send("POST", "/v1/me/erasure", Some(&token), confirm)
            .await
            .unwrap()
    };
    let own_data = || async {
        let data = api.send("GET", "/v1/me/data", Some(&token), Body::None);
        data.await.unwrap().expect(200).unwrap()
    };
    let early = ask().await;
    assert_eq!(early.status, 409, "{}", early.body);
    assert_eq!(early.body["code"], "erasure_blocked");
    assert!(early.body["message_zh"].as_str().unwrap().contains("冲印"));

    let own = own_data().await;
    assert_eq!(own["identity"]["name"], "张三");
    assert_eq!(own["identity"]["id_number"], "440106200405171230");
    assert_eq!(own["consents"][0]["notice_version"], "v1");
    let case = table.collection(journey.collection).await.unwrap();
    assert_eq!(
        own["cases"][0]["history"].as_array().unwrap().len() as u64,
        case.version
    );
    assert!(own["cases"][0]["address"]["phone"].is_string(), "{own}");
    assert!(own["cases"][0]["payment"]["order_no"].is_string(), "{own}");

    let received = format!("/v1/collections/{}/print/received", case.id);
    let received = api
        .send("POST", &received, Some(&token), Body::None)
        .await
        .unwrap();
    assert_eq!(received.status, 200, "{}", received.body);
    let asked = ask().await.expect(202).unwrap();
    assert_eq!(
        (&asked["kind"], &asked["status"]),
        (&json!("erasure"), &json!("pending"))
    );
    assert!(asked["kept_zh"].as_str().unwrap().contains("学信网"));
    let id = asked["request_id"].as_str().unwrap().to_owned();
    assert_eq!(ask().await.expect(202).unwrap()["request_id"], id.as_str());

    let operator = api.operator_token();
    let pending = api
        .send_review("GET", "/v1/review/requests", &operator, Body::None)
        .await
        .unwrap()
        .expect(200)
        .unwrap();
    let shown = pending["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .expect("the erasure waits for an operator")
        .clone();
    assert_eq!(
        (&shown["cases"], &shown["identity"]["name"]),
        (&json!(1), &json!("张*"))
    );
    let approve = format!("/v1/review/requests/{id}/approve");
    let reason = Body::Json(json!({"reason": "本人来电核实"}));
    let approved = api
        .send_review("POST", &approve, &operator, reason)
        .await
        .unwrap();
    assert_eq!(approved.status, 200, "{}", approved.body);

    // The purger's hourly run; a second changes nothing.
    let purger = purger::Purger {
        store: env.store.clone(),
        policy: Default::default(),
    };
    let now = OffsetDateTime::now_utc();
    assert_eq!(purger.run_erasures(now).await.unwrap().done, 1);
    assert_eq!(purger.run_erasures(now).await.unwrap(), Default::default());
    let erasures = api
        .send_review("GET", "/v1/review/erasures", &operator, Body::None)
        .await
        .unwrap()
        .expect(200)
        .unwrap();
    let done = &erasures["done"][0];
    assert_eq!((&done["id"], &done["status"]), (&json!(id), &json!("done")));
    assert_eq!(done["erasure"]["done"]["cases"], 1);
    assert!(done["erasure"]["done"]["objects"].as_u64().unwrap() > 0);
    assert!(!erasures.to_string().contains(&journey.openid));

    let own = own_data().await;
    assert_eq!(
        (
            &own["identity"],
            &own["id_card"],
            &own["consents"],
            &own["cases"]
        ),
        (&Value::Null, &Value::Null, &json!([]), &json!([]))
    );
    let erased = table.collection(case.id).await.unwrap();
    assert!(erased.is_erased());
    assert_eq!(erased.status, CollectionStatus::Published);
    let events = table.events(case.id).await.unwrap();
    assert_eq!(events.len() as u64, erased.version);
    assert_eq!(events.last().unwrap().kind(), "erase");

    // Nothing left names the student: no item holds their account, name or number in the
    // clear, and neither bucket holds an object of the case or of their ID card.
    let mut start = None;
    loop {
        let page = env
            .dynamodb()
            .scan()
            .table_name(table.name())
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in page.items() {
            let text = format!("{item:?}");
            // Rate-limit windows (keyed by the account) outlive an erasure, so erasing cannot
            // reset a limit; they are gone within a day by the table's TTL.
            if text.contains("\"COUNTER#") {
                let expires = item["expires_at"].as_n().unwrap().parse::<i64>().unwrap();
                assert!(expires <= now.unix_timestamp() + 2 * 86_400, "{text}");
                continue;
            }
            for personal in [journey.openid.as_str(), "张三", "44010620040517123"] {
                assert!(!text.contains(personal), "{personal} in {text}");
            }
            assert!(
                !text.contains("\"STUDENT#")
                    && !text.contains("\"CARD#")
                    && !text.contains("\"FACE#"),
                "{text}"
            );
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    let s3 = env.store.objects.client();
    let buckets = env.store.objects.buckets();
    for bucket in [&buckets.uploads, &buckets.photos] {
        let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
        for object in listed.contents() {
            let key = object.key().unwrap();
            assert!(!key.contains(&case.id.to_string()), "{bucket}/{key}");
            assert!(
                !["portraits/", "checked-portraits/", "print-sheets/"]
                    .iter()
                    .any(|p| key.starts_with(p)),
                "{bucket}/{key}"
            );
        }
    }
}

/// A card's photo uploaded by `token`'s student and read by the processor: the card's id and
/// what `GET /v1/me` then says of it.
async fn card_read(fns: &Functions, token: &str, card: &[u8]) -> (String, Value) {
    let (portrait, status) = fns.api.upload_id_card(token, card).await.unwrap();
    assert_eq!(status, 200);
    fns.photos.process(1).await.unwrap();
    let me = fns
        .api
        .send("GET", "/v1/me", Some(token), Body::None)
        .await
        .unwrap();
    (portrait, me.expect(200).unwrap()["id_card"].clone())
}

/// What stops a student at the card and what only flags it, through the API over HTTP and the
/// photo processor: the emblem side is refused with what to retake; a card that reads another
/// name than the one confirmed, and a card whose number was not read, go on to the provider and
/// are flagged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emblem_side_a_different_name_and_an_unread_card_on_the_local_stack() {
    let env = TestEnv::new().await;
    let stack = env.stack_names();
    let fns = Functions::start(&env.store, &stack).await.unwrap();
    let api = &fns.api;
    let font = photo::card::synth::font().expect("the card font (scripts/setup-font.sh)");

    // The emblem side: unusable, and the student is told to photograph the other side.
    let token = api.login("o-emblem").await.unwrap();
    let emblem = photo::card::synth::render_emblem(&font, &mut photo::card::synth::rng(5));
    let emblem = photo::card::synth::careful_photo(&emblem, 5);
    let (portrait, read) = card_read(&fns, &token, &emblem).await;
    assert_eq!(read["status"], "unusable");
    assert_eq!(read["problem"]["code"], "emblem_side");
    let zhao = IdNumber::complete("44010620040517555").unwrap();
    api.identity.register("赵六", &zhao);
    let body = json!({"name": "赵六", "id_number": zhao, "portrait_id": portrait});
    let refused = api
        .send("POST", "/v1/identity", Some(&token), Body::Json(body))
        .await
        .unwrap();
    assert_eq!(refused.status, 422);
    let refused = refused.body.to_string();
    assert!(
        refused.contains("id_card_unusable") && refused.contains("国徽面"),
        "{refused}"
    );
    assert!(
        api.identity.requests().is_empty(),
        "the provider was not asked"
    );

    // The card reads 李四; the student confirms 李思, which the provider knows with that
    // number: verified, and flagged for the reviewer.
    let token = api.login("o-other-name").await.unwrap();
    let li = IdNumber::complete("11010520031109246").unwrap();
    api.identity.register("李思", &li);
    let card = e2e::id_card("李四", &li).unwrap();
    let (portrait, read) = card_read(&fns, &token, &card).await;
    assert_eq!(read["read"], json!({"name": "李四", "id_number": li}));
    let confirmed = api
        .confirm_identity(&token, "李思", &li, &portrait)
        .await
        .unwrap();
    assert_eq!(confirmed["id_card"], "id_card_mismatch");

    // A card whose number fails its checksum (misprinted, or misread): usable for its face,
    // its text unread.
    let token = api.login("o-unread").await.unwrap();
    let wang = IdNumber::complete("31011520040229008").unwrap();
    api.identity.register("王五", &wang);
    let mut person =
        photo::card::synth::person_with("王五", &IdNumber::parse_stored(&wang).unwrap());
    let last = person.id_number.pop().unwrap();
    person.id_number.push(if last == '1' { '2' } else { '1' });
    let card = e2e::id_card_of(&person).unwrap();
    let (portrait, read) = card_read(&fns, &token, &card).await;
    assert_eq!(read["status"], "usable");
    assert_eq!(read["problem"]["code"], "checksum_failed");
    assert_eq!(read["read"], Value::Null);
    let confirmed = api
        .confirm_identity(&token, "王五", &wang, &portrait)
        .await
        .unwrap();
    assert_eq!(confirmed["id_card"], "id_card_unread");
    assert_eq!(api.identity.requests().len(), 2);
}
