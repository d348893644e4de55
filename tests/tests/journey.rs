//! The demo's journey, over HTTP through `cargo lambda watch`, on a stack of its own.

use domain::{Actor, CollectionStatus, Command, FaceMatch};
use e2e::Functions;
use localstack::TestEnv;
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
            "approve",
            "batch",
            "acknowledge_published"
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
    // Decided by the reviewer who held the lease (the other was refused), which went with the
    // decision; published by the publisher.
    assert_eq!(events[6].actor, Actor::Reviewer("reviewer-1".into()));
    assert!(env.store.table.lease(case.id).await.unwrap().is_none());
    let publisher = Actor::System(publisher::ACTOR.into());
    assert_eq!(
        (&events[7].actor, &events[8].actor),
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
            (7, NoticeKind::Approved, NoticeOutcome::Sent),
            (9, NoticeKind::Published, NoticeOutcome::Sent)
        ]
    );
    let messages = fns.notifier.wechat.delivered();
    assert_eq!(
        messages
            .iter()
            .map(|m| (m.touser.as_str(), m.template_id.as_str()))
            .collect::<Vec<_>>(),
        [
            (journey.openid.as_str(), "tpl-approved"),
            (journey.openid.as_str(), "tpl-published")
        ]
    );
    assert!(messages[0].page.contains(&case.id.to_string()));
    // Paid by WeChat Pay's notification through the webhook, for the task's fee, and every
    // call the API made to WeChat Pay carried the merchant's valid signature.
    assert_eq!(events[1].actor, domain::Actor::PaymentProvider);
    let payment = case.payment.as_ref().unwrap();
    assert_eq!(payment.amount_fen, 3000);
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
    // 学信网's receiver got one archive with this student's standardised photo, byte for byte,
    // and a manifest row that masks the ID number.
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
    // What the demo prints never carries a full ID number or an unmasked name.
    let printed = lines.join("\n");
    assert!(!printed.contains("张三"), "{printed}");
    assert!(!printed.contains("20040517"), "{printed}");
    assert!(printed.contains("张*"));
}
