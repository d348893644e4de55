//! The demo's journey, over HTTP through `cargo lambda watch`, on a stack of its own.

use domain::CollectionStatus;
use e2e::{LocalApi, StackNames};
use localstack::{Moto, TestEnv};
use time::OffsetDateTime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_student_goes_from_login_to_published_through_the_api() {
    let env = TestEnv::new().await;
    let names = &env.stack.names;
    let api = LocalApi::start(&StackNames {
        endpoint: Moto::shared().endpoint().to_owned(),
        table: names.table.clone(),
        uploads_bucket: names.uploads_bucket.clone(),
        photos_bucket: names.photos_bucket.clone(),
        outbox_bucket: names.outbox_bucket.clone(),
        pii_key: env.pii_key.clone(),
    })
    .await
    .unwrap();
    let mut lines = Vec::new();
    let journey = e2e::walk(&env.store, &api, OffsetDateTime::now_utc(), &mut |l| {
        lines.push(l)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", lines.join("\n")));

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
    .bucket(&names.uploads_bucket)
    .send()
    .await
    .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert!(keys.iter().any(|k| k.starts_with("portraits/")), "{keys:?}");
    assert!(
        keys.contains(&format!("attempts/{}/{}", case.id, case.attempts[0].id).as_str()),
        "{keys:?}"
    );
    // What the demo prints never carries a full ID number or an unmasked name.
    let printed = lines.join("\n");
    assert!(!printed.contains("张三"), "{printed}");
    assert!(!printed.contains("20040517"), "{printed}");
    assert!(printed.contains("张*"));
}
