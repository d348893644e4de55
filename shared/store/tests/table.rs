//! The DynamoDB repository against a real moto server.

mod support;

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{
    Actor, AttemptId, BatchId, CheckOutcome, CollectionStatus, Command, Payment, ReasonCode,
    Student, TransitionError, VerifiedIdentity,
};
use localstack::TestEnv;
use store::{Claim, Opened, Reserved, StoreError, UpdateError};
use support::*;

fn system() -> Actor {
    Actor::System("test".into())
}

fn pay(order_no: &str) -> Command {
    Command::ConfirmPayment {
        payment: Payment {
            order_no: order_no.into(),
            amount_fen: 3000,
            transaction_id: format!("tx-{order_no}"),
            paid_at: NOW,
            print_fen: 0,
        },
    }
}

#[tokio::test]
async fn every_allowed_transition_is_stored_with_its_audit_event() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let (case, created) = case(domain::TaskId::new(), "2022001");
    assert_eq!(
        table.open_collection(&case, &created).await.unwrap(),
        Opened::Created
    );

    let (a, b, c) = (AttemptId::new(), AttemptId::new(), AttemptId::new());
    let batch = BatchId::new();
    let passed = CheckOutcome::Passed {
        review_flags: vec![],
    };
    let steps = [
        (pay("GP1"), CollectionStatus::AwaitingPhoto),
        (
            Command::Refund {
                order_no: "GP1".into(),
            },
            CollectionStatus::AwaitingPayment,
        ),
        (pay("GP2"), CollectionStatus::AwaitingPhoto),
        (
            Command::StartAttempt { attempt_id: a },
            CollectionStatus::AwaitingPhoto,
        ),
        (
            Command::BeginProcessing { attempt_id: a },
            CollectionStatus::AwaitingPhoto,
        ),
        (
            Command::RecordCheck {
                attempt_id: a,
                outcome: CheckOutcome::Rejected {
                    reasons: vec![ReasonCode::Blurry],
                    review_flags: vec![],
                },
            },
            CollectionStatus::AwaitingPhoto,
        ),
        (
            Command::StartAttempt { attempt_id: b },
            CollectionStatus::AwaitingPhoto,
        ),
        (
            Command::RecordCheck {
                attempt_id: b,
                outcome: passed.clone(),
            },
            CollectionStatus::AwaitingPhoto,
        ),
        (
            Command::Submit {
                attempt_id: b,
                face_match: None,
            },
            CollectionStatus::InReview,
        ),
        (
            Command::Reject {
                reviewer: "r1".into(),
                reasons: vec![ReasonCode::Earrings],
                note: Some("请摘下耳饰".into()),
            },
            CollectionStatus::AwaitingPhoto,
        ),
        // The retake after the reviewer's rejection: no payment asked.
        (
            Command::StartAttempt { attempt_id: c },
            CollectionStatus::AwaitingPhoto,
        ),
        (
            Command::RecordCheck {
                attempt_id: c,
                outcome: passed.clone(),
            },
            CollectionStatus::AwaitingPhoto,
        ),
        (
            Command::Submit {
                attempt_id: c,
                face_match: None,
            },
            CollectionStatus::InReview,
        ),
        (
            Command::Refund {
                order_no: "GP2".into(),
            },
            CollectionStatus::AwaitingPayment,
        ),
        (pay("GP3"), CollectionStatus::AwaitingPhoto),
        (
            Command::Submit {
                attempt_id: c,
                face_match: None,
            },
            CollectionStatus::InReview,
        ),
        (
            Command::Approve {
                reviewer: "r2".into(),
            },
            CollectionStatus::Approved,
        ),
        (
            Command::Batch { batch_id: batch },
            CollectionStatus::Publishing,
        ),
        (
            Command::AcknowledgePublished { batch_id: batch },
            CollectionStatus::Published,
        ),
    ];
    for (command, expected) in steps.iter().cloned() {
        let name = command.name();
        let t = table
            .transition(case.id, command, system(), NOW)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(t.next.status, expected, "{name}");
        assert_eq!(
            table.collection(case.id).await.unwrap(),
            t.next,
            "{name} stored as decided"
        );
    }

    let events = table.events(case.id).await.unwrap();
    assert_eq!(events.len(), steps.len() + 1);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(
            event.version,
            i as u64 + 1,
            "one event per version, in order"
        );
    }
    assert_eq!(events[0].kind(), "created");
    let kinds: Vec<_> = events[1..].iter().map(|e| e.kind()).collect();
    let commands: Vec<_> = steps.iter().map(|(c, _)| c.name()).collect();
    assert_eq!(kinds, commands);
    assert_eq!(events.last().unwrap().to, CollectionStatus::Published);
}

#[tokio::test]
async fn every_refused_transition_changes_nothing_stored() {
    use TransitionError as E;
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let (case, created) = case(domain::TaskId::new(), "2022002");
    table.open_collection(&case, &created).await.unwrap();
    let (a, b, stranger) = (AttemptId::new(), AttemptId::new(), AttemptId::new());
    let passed = || CheckOutcome::Passed {
        review_flags: vec![],
    };
    let reject = |reasons: Vec<ReasonCode>, note: Option<String>| Command::Reject {
        reviewer: "r".into(),
        reasons,
        note,
    };
    let not_allowed = |status| E::NotAllowed {
        command: "",
        status,
    };

    // Each refusal in the state where it is refused: (moves to get there, command, error).
    let refusals: Vec<(Vec<Command>, Command, E)> = vec![
        (
            vec![],
            Command::StartAttempt { attempt_id: a },
            not_allowed(CollectionStatus::AwaitingPayment),
        ),
        (
            vec![],
            Command::Approve {
                reviewer: "r".into(),
            },
            not_allowed(CollectionStatus::AwaitingPayment),
        ),
        (
            vec![],
            Command::Refund {
                order_no: "GP9".into(),
            },
            E::OtherOrder {
                order_no: "GP9".into(),
            },
        ),
        (vec![pay("GP1")], pay("GP1"), E::AlreadyApplied),
        (vec![], pay("GP9"), E::AlreadyPaid),
        (
            vec![Command::StartAttempt { attempt_id: a }],
            Command::StartAttempt { attempt_id: a },
            E::DuplicateAttempt(a),
        ),
        (
            vec![],
            Command::Submit {
                attempt_id: a,
                face_match: None,
            },
            E::AttemptNotPassed(a),
        ),
        (
            vec![],
            Command::Submit {
                attempt_id: stranger,
                face_match: None,
            },
            E::UnknownAttempt(stranger),
        ),
        (
            vec![],
            Command::BeginProcessing {
                attempt_id: stranger,
            },
            E::UnknownAttempt(stranger),
        ),
        (
            vec![Command::RecordCheck {
                attempt_id: a,
                outcome: passed(),
            }],
            Command::RecordCheck {
                attempt_id: a,
                outcome: passed(),
            },
            E::AttemptAlreadyChecked(a),
        ),
        (
            vec![Command::StartAttempt { attempt_id: b }],
            Command::RecordCheck {
                attempt_id: b,
                outcome: CheckOutcome::Rejected {
                    reasons: vec![],
                    review_flags: vec![],
                },
            },
            E::NoReasons,
        ),
        (
            vec![],
            Command::Batch {
                batch_id: BatchId::new(),
            },
            not_allowed(CollectionStatus::AwaitingPhoto),
        ),
        (
            vec![Command::Submit {
                attempt_id: a,
                face_match: None,
            }],
            reject(vec![], None),
            E::NoReasons,
        ),
        (
            vec![],
            reject(vec![ReasonCode::Blurry], Some("长".repeat(201))),
            E::NoteTooLong,
        ),
        (
            vec![],
            Command::Submit {
                attempt_id: a,
                face_match: None,
            },
            E::AlreadyApplied,
        ),
    ];
    for (setup, refused, expected) in refusals {
        for command in setup {
            table
                .transition(case.id, command, system(), NOW)
                .await
                .unwrap();
        }
        let before = table.collection(case.id).await.unwrap();
        let events_before = table.events(case.id).await.unwrap().len();
        let name = refused.name();
        let err = table
            .transition(case.id, refused, system(), NOW)
            .await
            .unwrap_err();
        match (&err, &expected) {
            (
                UpdateError::Refused(E::NotAllowed { status, .. }),
                E::NotAllowed { status: want, .. },
            ) => {
                assert_eq!(status, want, "{name}")
            }
            (UpdateError::Refused(got), want) => assert_eq!(got, want, "{name}"),
            (other, _) => panic!("{name}: {other}"),
        }
        assert_eq!(
            table.collection(case.id).await.unwrap(),
            before,
            "{name} changed the case"
        );
        assert_eq!(
            table.events(case.id).await.unwrap().len(),
            events_before,
            "{name} wrote an event"
        );
    }
}

#[tokio::test]
async fn of_two_concurrent_updates_exactly_one_wins() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let (case, created) = case(domain::TaskId::new(), "2022003");
    table.open_collection(&case, &created).await.unwrap();

    // Both writers decide on the same snapshot, as two Lambda invocations would.
    let snapshot = table.collection(case.id).await.unwrap();
    let by_webhook = snapshot
        .apply(pay("GP1"), Actor::PaymentProvider, NOW)
        .unwrap();
    let by_reconciler = snapshot
        .apply(pay("GP1"), Actor::System("reconciler".into()), NOW)
        .unwrap();
    let (first, second) = tokio::join!(table.save(&by_webhook), table.save(&by_reconciler));

    let outcomes = [first, second];
    let wins = outcomes.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{outcomes:?}");
    let loser = outcomes.into_iter().find_map(Result::err).unwrap();
    assert!(
        matches!(loser, StoreError::Conflict { expected: 1, .. }),
        "the loser gets a typed conflict: {loser}"
    );
    assert_eq!(table.collection(case.id).await.unwrap().version, 2);
    assert_eq!(table.events(case.id).await.unwrap().len(), 2);

    // Retrying through the domain recognises the duplicate instead of paying twice.
    let again = table
        .transition(case.id, pay("GP1"), Actor::PaymentProvider, NOW)
        .await
        .unwrap_err();
    assert!(
        matches!(again, UpdateError::Refused(ref e) if e.is_duplicate()),
        "{again}"
    );
}

#[tokio::test]
async fn state_change_and_audit_event_are_written_together_or_not_at_all() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let (case, created) = case(domain::TaskId::new(), "2022004");
    table.open_collection(&case, &created).await.unwrap();

    // The case's condition fails (a stale writer): its event must not appear either.
    let stale = case.apply(pay("GP1"), system(), NOW).unwrap();
    table
        .transition(case.id, pay("GP1"), system(), NOW)
        .await
        .unwrap();
    assert!(matches!(
        table.save(&stale).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(table.events(case.id).await.unwrap().len(), 2);

    // The event's condition fails (its slot is taken: the audit trail is never rewritten),
    // while the case's version matches: the state change must not be written either.
    let current = table.collection(case.id).await.unwrap();
    let next = current
        .apply(
            Command::StartAttempt {
                attempt_id: AttemptId::new(),
            },
            system(),
            NOW,
        )
        .unwrap();
    let (pk, sk) = store::keys::event(case.id, next.event.version);
    env.dynamodb()
        .put_item()
        .table_name(table.name())
        .item("pk", AttributeValue::S(pk))
        .item("sk", AttributeValue::S(sk))
        .item("entity", AttributeValue::S("event".into()))
        .send()
        .await
        .unwrap();
    assert!(matches!(
        table.save(&next).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        table.collection(case.id).await.unwrap(),
        current,
        "case unchanged"
    );

    // And when both conditions hold, both are written.
    let (pk, sk) = store::keys::event(case.id, next.event.version);
    env.dynamodb()
        .delete_item()
        .table_name(table.name())
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk))
        .send()
        .await
        .unwrap();
    table.save(&next).await.unwrap();
    assert_eq!(table.collection(case.id).await.unwrap(), next.next);
    assert_eq!(
        table.events(case.id).await.unwrap().last(),
        Some(&next.event)
    );
}

#[tokio::test]
async fn an_enrollment_has_at_most_one_case() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let task = domain::TaskId::new();
    let (first, created) = case(task, "2022005");
    assert_eq!(
        table.open_collection(&first, &created).await.unwrap(),
        Opened::Created
    );
    let (second, created) = case(task, "2022005");
    assert_eq!(
        table.open_collection(&second, &created).await.unwrap(),
        Opened::Existing {
            id: first.id,
            owner: first.owner.clone()
        }
    );
    assert!(matches!(
        table.collection(second.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(table.collections_of("o-openid-1").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_task_is_found_by_its_session_code_which_stays_unique() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let first = task("20260001");
    table.create_task(&first).await.unwrap();
    assert_eq!(
        table
            .task_by_session_code(&first.session_code)
            .await
            .unwrap(),
        first
    );
    assert_eq!(table.task(first.id).await.unwrap(), first);
    let clash = task("20260001");
    let err = table.create_task(&clash).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::AlreadyExists {
                entity: "session code",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        matches!(table.task(clash.id).await, Err(StoreError::NotFound { .. })),
        "nothing half-written"
    );
}

#[tokio::test]
async fn roster_rows_are_found_by_blind_index_and_reimport_is_idempotent() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let (spring, autumn) = (task("20260002"), task("20260003"));
    let zhang = id_number(123);
    let li = id_number(456);
    let rows = vec![
        enrollment(spring.id, "2022010", "张三", &zhang),
        enrollment(spring.id, "2022011", "李四", &li),
        enrollment(autumn.id, "B2022010", "张三", &zhang),
    ];
    assert_eq!(table.put_enrollments(&rows).await.unwrap(), 3);
    assert_eq!(table.put_enrollments(&rows).await.unwrap(), 3);
    // A roster listing one student twice keeps the last row.
    let corrected = enrollment(spring.id, "2022011", "李四", &li);
    let mut twice = vec![enrollment(spring.id, "2022011", "李思", &li)];
    twice.push(corrected.clone());
    assert_eq!(table.put_enrollments(&twice).await.unwrap(), 1);
    assert_eq!(
        table.enrollment(spring.id, "2022011").await.unwrap(),
        corrected
    );

    let mut found = table.enrollments_by_id_number(&zhang).await.unwrap();
    found.sort_by(|a, b| a.student_number.cmp(&b.student_number));
    assert_eq!(found, vec![rows[0].clone(), rows[2].clone()]);
    assert_eq!(
        table
            .enrollments_by_id_number(&id_number(789))
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(
        table.enrollments_of_task(spring.id).await.unwrap(),
        rows[..2].to_vec()
    );
    assert_eq!(
        table.enrollment(spring.id, "2022011").await.unwrap(),
        rows[1]
    );
}

#[tokio::test]
async fn a_large_roster_is_written_in_full() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let task = task("20260004");
    let rows: Vec<_> = (0..260)
        .map(|i| enrollment(task.id, &format!("S{i:05}"), "王五", &id_number(i)))
        .collect();
    assert_eq!(table.put_enrollments(&rows).await.unwrap(), 260);
    assert_eq!(table.enrollments_of_task(task.id).await.unwrap().len(), 260);
}

#[tokio::test]
async fn stored_items_hold_no_name_or_id_number_in_plain_text() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let task = task("20260005");
    let id = id_number(321);
    table
        .put_enrollments(&[enrollment(task.id, "2022020", "欧阳娜娜", &id)])
        .await
        .unwrap();
    table
        .put_student(&Student {
            openid: "o-student-20".into(),
            identity: Some(VerifiedIdentity {
                name: "欧阳娜娜".into(),
                id_number: id.clone(),
                verified_at: NOW,
            }),
            portrait: None,
        })
        .await
        .unwrap();

    let raw = env
        .dynamodb()
        .scan()
        .table_name(table.name())
        .send()
        .await
        .unwrap();
    let items = raw.items.unwrap();
    // The roster row, the student, and the owner item of the ID number (by blind index).
    assert_eq!(items.len(), 3);
    let dump = format!("{items:?}");
    for secret in ["欧阳娜娜", "娜娜", id.as_str(), &id.as_str()[6..14]] {
        assert!(
            !dump.contains(secret),
            "raw items reveal personal data: {secret:?}"
        );
    }
    // The owner of the key still reads them back.
    let student = table.student("o-student-20").await.unwrap().unwrap();
    assert_eq!(student.identity.unwrap().id_number, id);
    assert_eq!(
        table.enrollment(task.id, "2022020").await.unwrap().name,
        "欧阳娜娜"
    );
}

#[tokio::test]
async fn sealed_data_does_not_open_with_another_key() {
    let env = TestEnv::new().await;
    let task = task("20260006");
    env.store
        .table
        .put_enrollments(&[enrollment(task.id, "2022030", "赵六", &id_number(1))])
        .await
        .unwrap();
    let other_key = store::PiiKeys::from_master(&[9; 32]);
    let foreign = store::Table::new(env.dynamodb(), env.store.table.name(), other_key);
    let err = foreign.enrollment(task.id, "2022030").await.unwrap_err();
    assert!(matches!(err, StoreError::Crypto(_)), "{err}");
    // Nor does another key find anything through the blind index.
    assert_eq!(
        foreign
            .enrollments_by_id_number(&id_number(1))
            .await
            .unwrap(),
        vec![]
    );
}

#[tokio::test]
async fn a_function_without_the_key_can_neither_read_nor_write_personal_data() {
    let env = TestEnv::new().await;
    let task = task("20260007");
    env.store
        .table
        .put_enrollments(&[enrollment(task.id, "2022031", "孙七", &id_number(2))])
        .await
        .unwrap();
    let keyless = store::Table::without_pii(env.dynamodb(), env.store.table.name());
    for err in [
        keyless.enrollment(task.id, "2022031").await.unwrap_err(),
        keyless
            .put_enrollments(&[enrollment(task.id, "2022032", "周八", &id_number(3))])
            .await
            .unwrap_err(),
        keyless
            .enrollments_by_id_number(&id_number(2))
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::Config(_)), "{err}");
    }
}

#[tokio::test]
async fn review_queue_lists_cases_in_review_oldest_first() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let task = domain::TaskId::new();
    let mut ids = Vec::new();
    for (i, minute) in [(0, 30), (1, 10), (2, 20)] {
        let (case, created) = case(task, &format!("Q{i}"));
        table.open_collection(&case, &created).await.unwrap();
        let a = AttemptId::new();
        let at = NOW + Duration::from_secs(minute * 60);
        for command in [
            pay(&format!("GPQ{i}")),
            Command::StartAttempt { attempt_id: a },
            Command::RecordCheck {
                attempt_id: a,
                outcome: CheckOutcome::Passed {
                    review_flags: vec![],
                },
            },
            Command::Submit {
                attempt_id: a,
                face_match: None,
            },
        ] {
            table
                .transition(case.id, command, system(), at)
                .await
                .unwrap();
        }
        ids.push((minute, case.id));
    }
    ids.sort();
    let queue: Vec<_> = table
        .review_queue(task, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(queue, ids.iter().map(|(_, id)| *id).collect::<Vec<_>>());

    let first_two: Vec<_> = table
        .review_queue(task, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(first_two, queue[..2]);

    // Approving moves a case from the review queue to the publish queue.
    table
        .transition(
            ids[0].1,
            Command::Approve {
                reviewer: "r".into(),
            },
            system(),
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(table.review_queue(task, 10).await.unwrap().len(), 2);
    let publish: Vec<_> = table
        .publish_queue(task, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(publish, vec![ids[0].1]);
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_response() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let (lease, ttl) = (Duration::from_secs(30), Duration::from_secs(24 * 3600));
    let claim = |key: &'static str, fingerprint: &'static str, at| {
        table.claim_idempotency("link", key, fingerprint, lease, at)
    };
    assert_eq!(claim("k1", "body-a", NOW).await.unwrap(), Claim::Fresh);
    assert_eq!(claim("k1", "body-a", NOW).await.unwrap(), Claim::InProgress);
    assert_eq!(claim("k1", "body-b", NOW).await.unwrap(), Claim::KeyReused);

    let response = serde_json::json!({"collection_id": "01J"});
    table
        .complete_idempotency("link", "k1", "body-a", &response, ttl, NOW)
        .await
        .unwrap();
    // Completed once only, and only by the request that claimed it.
    let again = table
        .complete_idempotency("link", "k1", "body-a", &response, ttl, NOW)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })));
    let later = NOW + lease + Duration::from_secs(1);
    assert_eq!(
        claim("k1", "body-a", later).await.unwrap(),
        Claim::Completed(response)
    );
    assert_eq!(
        claim("k1", "body-b", later).await.unwrap(),
        Claim::KeyReused
    );

    // Scopes are separate, and may not smuggle a '#' into the key.
    assert_eq!(
        table
            .claim_idempotency("pay", "k1", "body-a", lease, NOW)
            .await
            .unwrap(),
        Claim::Fresh
    );
    assert!(matches!(
        table
            .claim_idempotency("li#nk", "k1", "x", lease, NOW)
            .await,
        Err(StoreError::Invalid(_))
    ));
}

#[tokio::test]
async fn a_crashed_claim_frees_its_key_after_the_lease_and_a_completed_one_after_its_ttl() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let (lease, ttl) = (Duration::from_secs(30), Duration::from_secs(3600));
    assert_eq!(
        table
            .claim_idempotency("link", "k2", "f", lease, NOW)
            .await
            .unwrap(),
        Claim::Fresh
    );
    let after_lease = NOW + lease + Duration::from_secs(1);
    assert_eq!(
        table
            .claim_idempotency("link", "k2", "f", lease, after_lease)
            .await
            .unwrap(),
        Claim::Fresh
    );
    table
        .complete_idempotency("link", "k2", "f", &serde_json::json!(1), ttl, after_lease)
        .await
        .unwrap();
    let after_ttl = after_lease + ttl + Duration::from_secs(1);
    assert_eq!(
        table
            .claim_idempotency("link", "k2", "f", lease, after_ttl)
            .await
            .unwrap(),
        Claim::Fresh
    );
}

/// The SDK sends a put again when its answer is lost; the retry finds the first try's item.
/// That is this call's own nonce, not a replay (a genuine notification refused as replayed
/// would never be applied), and a claim likewise, while a second call is still refused.
#[tokio::test]
async fn a_write_whose_answer_was_lost_is_still_the_callers_own() {
    let env = TestEnv::new().await;
    let lossy =
        localstack::faults::FaultyMoto::losing_answers(&env.stack_names().endpoint, 1).await;
    let (store, _) = env.behind(&lossy.endpoint).await;
    let ttl = Duration::from_secs(600);
    assert!(
        store
            .table
            .remember_nonce("wechatpay", "n-1", ttl, NOW)
            .await
            .unwrap()
    );
    let lost = lossy
        .injected
        .dropped_after
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(lost, 1, "the first answer was lost and the put retried");
    assert!(
        !store
            .table
            .remember_nonce("wechatpay", "n-1", ttl, NOW)
            .await
            .unwrap()
    );

    let lossy =
        localstack::faults::FaultyMoto::losing_answers(&env.stack_names().endpoint, 1).await;
    let (store, _) = env.behind(&lossy.endpoint).await;
    let claim = |fingerprint: &'static str| {
        store
            .table
            .claim_idempotency("payments", "key-1", fingerprint, ttl, NOW)
    };
    assert_eq!(claim("f-1").await.unwrap(), Claim::Fresh);
    assert_eq!(claim("f-1").await.unwrap(), Claim::InProgress);
}

#[tokio::test]
async fn a_replayed_nonce_is_refused_until_it_expires() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let ttl = Duration::from_secs(600);
    assert!(
        table
            .remember_nonce("wechatpay", "n-1", ttl, NOW)
            .await
            .unwrap()
    );
    assert!(
        !table
            .remember_nonce("wechatpay", "n-1", ttl, NOW)
            .await
            .unwrap()
    );
    assert!(
        table
            .remember_nonce("wechatpay", "n-2", ttl, NOW)
            .await
            .unwrap()
    );
    let later = NOW + ttl + Duration::from_secs(1);
    assert!(
        table
            .remember_nonce("wechatpay", "n-1", ttl, later)
            .await
            .unwrap()
    );

    // The TTL attribute DynamoDB deletes by is really there.
    let (pk, sk) = store::keys::nonce("wechatpay", "n-2");
    let item = env
        .dynamodb()
        .get_item()
        .table_name(table.name())
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let expires: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(expires, (NOW + ttl).unix_timestamp());
}

#[tokio::test]
async fn the_domain_refusal_reaches_the_caller_typed() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let (case, created) = case(domain::TaskId::new(), "2022040");
    table.open_collection(&case, &created).await.unwrap();
    let a = AttemptId::new();
    let err = table
        .transition(
            case.id,
            Command::StartAttempt { attempt_id: a },
            system(),
            NOW,
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        UpdateError::Refused(TransitionError::NotAllowed {
            status: CollectionStatus::AwaitingPayment,
            ..
        })
    ));
    let missing = table
        .transition(domain::CollectionId::new(), pay("GP1"), system(), NOW)
        .await
        .unwrap_err();
    assert!(matches!(
        missing,
        UpdateError::Store(StoreError::NotFound { .. })
    ));
}

/// A burst of concurrent reservations against one limit: the check and the count are one
/// conditional write, so exactly the limit is granted, and the refused ones say when the
/// window (aligned to the hour in China) turns.
#[tokio::test]
async fn concurrent_reservations_never_pass_the_limit() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let hour = Duration::from_secs(3600);
    let answers = futures_util::future::join_all(
        (0..20).map(|_| table.reserve("identity", "o-burst", 5, hour, NOW)),
    )
    .await;
    let granted = answers
        .iter()
        .filter(|a| matches!(a, Ok(Reserved::Granted)))
        .count();
    assert_eq!(granted, 5);
    let turn = NOW.replace_minute(0).unwrap().replace_second(0).unwrap() + time::Duration::hours(1);
    let turn = turn.replace_nanosecond(0).unwrap();
    for a in answers
        .iter()
        .filter(|a| !matches!(a, Ok(Reserved::Granted)))
    {
        assert_eq!(
            a.as_ref().unwrap(),
            &Reserved::Exhausted { resets_at: turn }
        );
    }
    assert_eq!(
        table
            .counted("identity", "o-burst", hour, NOW)
            .await
            .unwrap(),
        5
    );
    // A use given back frees one place, and never goes below zero.
    table
        .release("identity", "o-burst", hour, NOW)
        .await
        .unwrap();
    assert_eq!(
        table
            .reserve("identity", "o-burst", 5, hour, NOW)
            .await
            .unwrap(),
        Reserved::Granted
    );
    table
        .release("identity", "o-free", hour, NOW)
        .await
        .unwrap();
    assert_eq!(
        table
            .counted("identity", "o-free", hour, NOW)
            .await
            .unwrap(),
        0
    );
    // A day's window turns at midnight in China (16:00 UTC).
    let day = Duration::from_secs(86_400);
    for _ in 0..2 {
        let _ = table
            .reserve("identity-day", "service", 1, day, NOW)
            .await
            .unwrap();
    }
    let Reserved::Exhausted { resets_at } = table
        .reserve("identity-day", "service", 1, day, NOW)
        .await
        .unwrap()
    else {
        panic!("the day's one use is spent");
    };
    assert_eq!(
        resets_at.to_offset(domain::china::CHINA).time(),
        time::Time::MIDNIGHT
    );
    assert!(resets_at > NOW && resets_at - NOW <= time::Duration::days(1));
}

/// An ID number is held by one account: a second account's record with it is refused, and
/// neither its record nor its portrait pointer is written.
#[tokio::test]
async fn a_verified_id_number_belongs_to_one_account() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let id = id_number(777);
    let student = |openid: &str| Student {
        openid: openid.into(),
        identity: Some(VerifiedIdentity {
            name: "欧阳娜娜".into(),
            id_number: id.clone(),
            verified_at: NOW,
        }),
        portrait: Some(domain::Portrait {
            id: domain::PortraitId::new(),
            status: domain::PortraitStatus::Pending,
            sha256: None,
            problem: None,
        }),
    };
    let first = student("o-first");
    table.put_student(&first).await.unwrap();
    // The owner may write again (a new portrait).
    table.put_student(&student("o-first")).await.unwrap();
    let second = student("o-second");
    assert!(matches!(
        table.put_student(&second).await,
        Err(StoreError::IdentityInUse)
    ));
    assert!(table.student("o-second").await.unwrap().is_none());
    let portrait = second.portrait.unwrap().id;
    assert_eq!(table.portrait_owner(portrait).await.unwrap(), None);
    assert_eq!(
        table.identity_owner(&id).await.unwrap().as_deref(),
        Some("o-first")
    );
}

/// The store's calls are timed into the measurement of the work that makes them, and only
/// that work's: what the API reports as the store's share of a request.
#[tokio::test]
async fn the_time_a_piece_of_work_waits_on_the_store_is_measured_for_it_alone() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let ((), nothing) = store::timing::measured(async {}).await;
    assert_eq!(nothing, Duration::ZERO);
    let (tasks, waited) = store::timing::measured(table.tasks()).await;
    assert!(tasks.unwrap().is_empty());
    assert!(waited > Duration::ZERO, "one query to moto takes time");
    // A call made outside any measurement counts for none.
    let ((), still) = store::timing::measured(async {}).await;
    table.tasks().await.unwrap();
    assert_eq!(still, Duration::ZERO);
}
