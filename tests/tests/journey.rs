//! The demo's journey, checked on a stack of its own.

use domain::CollectionStatus;
use localstack::TestEnv;
use time::macros::datetime;

#[tokio::test]
async fn one_student_goes_from_roster_to_published() {
    let env = TestEnv::new().await;
    let mut lines = Vec::new();
    let journey = e2e::walk(&env.store, datetime!(2026-06-01 08:00 UTC), &mut |l| {
        lines.push(l)
    })
    .await
    .unwrap();

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
    // What the demo prints never carries a full ID number or an unmasked name.
    let printed = lines.join("\n");
    assert!(!printed.contains("张三"), "{printed}");
    assert!(!printed.contains("20040517"), "{printed}");
    assert!(printed.contains("张*"));
}
