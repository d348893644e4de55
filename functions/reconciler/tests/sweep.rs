//! The sweep on moto: an attempt whose processing never finished is timed out once its
//! message has run out of retries, and only then; the student may upload again; a late result
//! changes nothing; an attempt decided in time is never touched.

use domain::{Actor, AttemptId, AttemptStatus, CheckOutcome, Collection, Command, ReasonCode};
use localstack::{TestEnv, fixtures};
use reconciler::{STALLED_AFTER, Swept, sweep};
use store::{Along, Processing, Table};
use time::{Duration, OffsetDateTime};

/// A paid case with `n` attempts taken up by the processor at `at`.
async fn processing(table: &Table, n: usize, at: OffsetDateTime) -> (Collection, Vec<AttemptId>) {
    let case = fixtures::paid_case(table, "2022001", "o-sweep", at).await;
    let processor = Actor::System("photo-processor".into());
    let mut ids = Vec::new();
    for _ in 0..n {
        let attempt_id = fixtures::start_attempt(table, case.id, at).await;
        let marker = Processing {
            collection_id: case.id,
            attempt_id,
            since: at,
        };
        table
            .transition_along(
                case.id,
                Command::BeginProcessing { attempt_id },
                processor.clone(),
                at,
                &[Along::Processing(&marker)],
            )
            .await
            .unwrap();
        ids.push(attempt_id);
    }
    (table.collection(case.id).await.unwrap(), ids)
}

fn passed(attempt_id: AttemptId) -> Command {
    Command::RecordCheck {
        attempt_id,
        outcome: CheckOutcome::Passed {
            review_flags: vec![],
        },
    }
}

#[tokio::test]
async fn an_attempt_whose_processing_never_finished_is_timed_out_and_may_be_uploaded_again() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let start = OffsetDateTime::now_utc();
    let (case, ids) = processing(table, 2, start).await;
    let (stuck, checked) = (ids[0], ids[1]);
    // The second is checked in time, its marker going with the result.
    let processor = Actor::System("photo-processor".into());
    table
        .transition_along(
            case.id,
            passed(checked),
            processor.clone(),
            start,
            &[Along::Processed(checked)],
        )
        .await
        .unwrap();

    // Within the redrive window: still being retried.
    let early = sweep(table, start + STALLED_AFTER - Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(early, Swept::default());
    let swept = sweep(table, start + STALLED_AFTER + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        swept,
        Swept {
            timed_out: 1,
            stale: 0,
            failed: 0
        }
    );
    let case = table.collection(case.id).await.unwrap();
    assert_eq!(
        case.attempt(stuck).unwrap().status,
        AttemptStatus::Rejected {
            reasons: vec![ReasonCode::ProcessingTimeout]
        }
    );
    assert_eq!(case.attempt(checked).unwrap().status, AttemptStatus::Passed);
    assert_eq!(
        ReasonCode::ProcessingTimeout.hint_zh(),
        "处理超时，请重新上传。"
    );

    // A second pass finds nothing; a late result for the timed-out attempt changes nothing.
    let again = sweep(table, start + STALLED_AFTER + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(again, Swept::default());
    let late = table
        .transition(case.id, passed(stuck), processor, start)
        .await;
    assert!(
        matches!(late, Err(store::UpdateError::Refused(ref e)) if e.is_duplicate()),
        "{late:?}"
    );
    // The student uploads again, without paying again.
    let retake = Command::StartAttempt {
        attempt_id: AttemptId::new(),
    };
    table
        .transition(case.id, retake, Actor::Student, start)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_marker_whose_attempt_was_decided_without_it_is_cleared_and_nothing_changes() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let start = OffsetDateTime::now_utc();
    let (case, ids) = processing(table, 1, start).await;
    // Checked by a processor that predates the markers: the marker stays behind.
    let processor = Actor::System("photo-processor".into());
    table
        .transition(case.id, passed(ids[0]), processor, start)
        .await
        .unwrap();
    let before = table.collection(case.id).await.unwrap();
    let swept = sweep(table, start + STALLED_AFTER + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        swept,
        Swept {
            timed_out: 0,
            stale: 1,
            failed: 0
        }
    );
    assert_eq!(table.collection(case.id).await.unwrap(), before);
    assert_eq!(
        sweep(table, start + STALLED_AFTER + Duration::minutes(1))
            .await
            .unwrap(),
        Swept::default()
    );
}
