//! The purge on moto: a published case's data goes as it falls due, and only then, down to who
//! its student was and the task's roster; a second run deletes nothing; a case in review is
//! never touched, however late.

use domain::privacy::{self, Consent, Purpose};
use domain::retention::Kind;
use domain::{
    Actor, AttemptId, BatchId, CardText, Collection, Command, EducationLevel, Enrollment, IdNumber,
    Portrait, PortraitId, PortraitStatus, PostalAddress, Student, VerifiedIdentity,
};
use localstack::TestEnv;
use localstack::fixtures::{Submission, live_through, open_task, paid_to_submitted};
use purger::Purger;
use store::{Checked, Digest, FaceOf, PortraitChecked, UploadKey};
use time::{Duration, OffsetDateTime};

/// A case brought to review by `openid`, with everything the processor and the API leave:
/// the upload, the checked copy, the standardised photo, preview and report, the attempt's
/// and the ID card's descriptors, the card's upload and copy.
async fn submitted(
    env: &TestEnv,
    task: domain::TaskId,
    n: u32,
    at: OffsetDateTime,
) -> (Collection, Checked, PortraitChecked) {
    let table = &env.store.table;
    let openid = format!("o-purge-{n}-{task}");
    let (case, created) = Collection::open(
        task,
        format!("20221101{n:02}"),
        openid.clone(),
        Actor::Student,
        at,
    );
    table.open_collection(&case, &created).await.unwrap();
    let attempt = AttemptId::new();
    let bytes = format!("photo {n} of {task}").into_bytes();
    let checked = Checked {
        collection: case.id,
        attempt,
        digest: Digest::of(&bytes),
    };
    let portrait = PortraitChecked {
        portrait: PortraitId::new(),
        digest: Digest::of(b"card"),
    };
    let objects = &env.store.objects;
    let uploads = [
        UploadKey::Attempt {
            collection: case.id,
            attempt,
        }
        .to_string(),
        UploadKey::Portrait(portrait.portrait).to_string(),
    ];
    for key in &uploads {
        objects
            .client()
            .put_object()
            .bucket(&objects.buckets().uploads)
            .key(key)
            .body(bytes.clone().into())
            .send()
            .await
            .unwrap();
    }
    for key in [
        checked.original_key(),
        checked.standardised_key(),
        checked.preview_key(),
        checked.report_key(),
        portrait.copy_key(),
    ] {
        objects
            .put_photo_object(&key, "image/jpeg", bytes.clone())
            .await
            .unwrap();
    }
    let descriptor: Vec<f32> = (0..128).map(|i| i as f32 / 128.0).collect();
    table
        .put_face(FaceOf::Attempt(attempt, checked.digest), &descriptor)
        .await
        .unwrap();
    table
        .put_face(
            FaceOf::Portrait(portrait.portrait, portrait.digest),
            &descriptor,
        )
        .await
        .unwrap();
    let submission = Submission {
        attempt,
        review_flags: vec![],
        face_match: None,
    };
    let steps = paid_to_submitted(submission, at);
    let case = live_through(table, case.id, steps, &checked, Some(&portrait), at).await;
    (case, checked, portrait)
}

/// Approved, batched and acknowledged by 学信网 at `at`.
async fn published(env: &TestEnv, case: &Collection, at: OffsetDateTime) -> Collection {
    let table = &env.store.table;
    let batch = BatchId::new();
    let system = Actor::System("publisher".into());
    for (command, actor) in [
        (
            Command::Approve {
                reviewer: "reviewer-1".into(),
            },
            Actor::Reviewer("reviewer-1".into()),
        ),
        (Command::Batch { batch_id: batch }, system.clone()),
        (Command::AcknowledgePublished { batch_id: batch }, system),
    ] {
        table.transition(case.id, command, actor, at).await.unwrap();
    }
    table.collection(case.id).await.unwrap()
}

async fn photo_exists(env: &TestEnv, key: &str) -> bool {
    env.store
        .objects
        .read_photo_object(key)
        .await
        .unwrap()
        .is_some()
}

async fn upload_exists(env: &TestEnv, key: UploadKey) -> bool {
    env.store.objects.read_upload(key).await.unwrap().is_some()
}

#[tokio::test]
async fn a_published_case_is_purged_as_its_data_falls_due_and_a_case_in_review_never() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let task = open_task(table, EducationLevel::Bachelor).await;
    let start = OffsetDateTime::now_utc();
    let (case, checked, portrait) = submitted(&env, task.id, 1, start).await;
    let publication = start + Duration::hours(1);
    let case = published(&env, &case, publication).await;
    assert_eq!(case.published_at, Some(publication));
    let (waiting, waiting_checked, _) = submitted(&env, task.id, 2, start).await;
    let purger = Purger {
        store: env.store.clone(),
        policy: Default::default(),
    };
    let attempt_face = FaceOf::Attempt(checked.attempt, checked.digest);
    let card_face = FaceOf::Portrait(portrait.portrait, portrait.digest);
    let upload = UploadKey::Attempt {
        collection: case.id,
        attempt: checked.attempt,
    };

    // Before publication nothing goes; at publication, the faces.
    let before = purger
        .run(publication - Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!((before.objects_deleted, before.items_deleted), (0, 0));
    let at_once = purger.run(publication).await.unwrap();
    assert_eq!(at_once.cases_purged.get(&Kind::Descriptors), Some(&1));
    assert!(table.face(attempt_face).await.unwrap().is_none());
    assert!(table.face(card_face).await.unwrap().is_none());
    assert!(
        upload_exists(&env, upload).await,
        "the original stays 30 days"
    );
    assert!(photo_exists(&env, &checked.standardised_key()).await);

    // 30 days on, the originals; 180 days on, the photos; then nothing is left. A run that
    // stopped half way (one object gone, the kind not recorded) is finished by the next.
    env.store
        .objects
        .delete_photo_object(&checked.original_key())
        .await
        .unwrap();
    let month = purger.run(publication + Duration::days(30)).await.unwrap();
    assert_eq!(month.cases_purged.get(&Kind::Originals), Some(&1));
    assert!(!upload_exists(&env, upload).await);
    assert!(!upload_exists(&env, UploadKey::Portrait(portrait.portrait)).await);
    for key in [checked.original_key(), portrait.copy_key()] {
        assert!(!photo_exists(&env, &key).await, "{key}");
    }
    assert!(photo_exists(&env, &checked.standardised_key()).await);
    let last = purger.run(publication + Duration::days(180)).await.unwrap();
    assert_eq!(last.cases_purged.get(&Kind::Photos), Some(&1));
    for key in [
        checked.standardised_key(),
        checked.preview_key(),
        checked.report_key(),
    ] {
        assert!(!photo_exists(&env, &key).await, "{key}");
    }
    assert_eq!(
        table.purged(case.id).await.unwrap(),
        [Kind::Descriptors, Kind::Originals, Kind::Photos]
    );

    // A second run at the same time deletes nothing.
    let again = purger.run(publication + Duration::days(180)).await.unwrap();
    assert_eq!((again.objects_deleted, again.items_deleted), (0, 0));
    assert!(again.cases_purged.is_empty());

    // The case still in review kept everything, three years on.
    purger
        .run(publication + Duration::days(3 * 365))
        .await
        .unwrap();
    let waiting = table.collection(waiting.id).await.unwrap();
    assert_eq!(waiting.status, domain::CollectionStatus::InReview);
    assert!(
        table
            .face(FaceOf::Attempt(
                waiting_checked.attempt,
                waiting_checked.digest
            ))
            .await
            .unwrap()
            .is_some()
    );
    for key in [
        waiting_checked.original_key(),
        waiting_checked.standardised_key(),
    ] {
        assert!(photo_exists(&env, &key).await, "{key}");
    }
    assert!(table.purged(waiting.id).await.unwrap().is_empty());
    // The published case, past its identity date too by now, names no owner; its audit trail
    // is whole, the erasure its last event.
    let case = table.collection(case.id).await.unwrap();
    assert!(case.is_erased());
    let events = table.events(case.id).await.unwrap();
    assert_eq!(events.len() as u64, case.version);
    assert_eq!(events.last().map(|e| e.kind()), Some("erase"));
}

#[tokio::test]
async fn a_case_that_cannot_be_purged_is_counted_and_holds_back_no_other() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let task = open_task(table, EducationLevel::Bachelor).await;
    let start = OffsetDateTime::now_utc();
    let publication = start + Duration::hours(1);
    let (good, good_checked, _) = submitted(&env, task.id, 1, start).await;
    let (broken, broken_checked, _) = submitted(&env, task.id, 2, start).await;
    published(&env, &good, publication).await;
    published(&env, &broken, publication).await;
    // A record a bug left unreadable: the broken case's evidence names no digest.
    let (pk, sk) = store::keys::evidence(broken_checked.attempt);
    let value = |v: &str| aws_sdk_dynamodb::types::AttributeValue::S(v.into());
    env.dynamodb()
        .put_item()
        .table_name(table.name())
        .item("pk", value(&pk))
        .item("sk", value(&sk))
        .item("entity", value("evidence"))
        .item("sha256", value("not a digest"))
        .send()
        .await
        .unwrap();
    let purger = Purger {
        store: env.store.clone(),
        policy: Default::default(),
    };
    let log = purger.run(publication).await.unwrap();
    assert_eq!(log.cases_failed, 1);
    assert_eq!(log.cases_purged.get(&Kind::Descriptors), Some(&1));
    let good_face = FaceOf::Attempt(good_checked.attempt, good_checked.digest);
    assert!(table.face(good_face).await.unwrap().is_none());
    assert!(
        table.purged(broken.id).await.unwrap().is_empty(),
        "still due next run"
    );
}

/// What the identity check, the ID card, the roster and the print order leave of student `n`:
/// the roster row (with its CHSI code), the verified identity with the card as its portrait,
/// what the card read, a consent, and a postal address on the case.
async fn identified(
    env: &TestEnv,
    case: &Collection,
    card: &PortraitChecked,
    id_number: &str,
    at: OffsetDateTime,
) {
    let table = &env.store.table;
    let id_number = IdNumber::parse_stored(&IdNumber::complete(id_number).unwrap()).unwrap();
    table
        .put_enrollments(&[Enrollment {
            task_id: case.task_id,
            student_number: case.student_number.clone(),
            name: "张三".into(),
            id_number: id_number.clone(),
            school: "中山大学".into(),
            education_level: EducationLevel::Bachelor,
            major: "计算机科学与技术".into(),
            chsi_code: Some(format!("C{}", case.student_number)),
        }])
        .await
        .unwrap();
    table
        .put_student(&Student {
            openid: case.owner.clone(),
            identity: Some(VerifiedIdentity {
                name: "张三".into(),
                id_number: id_number.clone(),
                verified_at: at,
            }),
            portrait: Some(Portrait {
                id: card.portrait,
                status: PortraitStatus::Usable,
                sha256: Some(card.digest.to_string()),
                problem: None,
            }),
        })
        .await
        .unwrap();
    let read = CardText::Read {
        name: "张三".into(),
        id_number,
    };
    table.put_card_text(card, &read).await.unwrap();
    let consent = Consent::given(privacy::current().version, &Purpose::ALL, at).unwrap();
    table.put_consent(&case.owner, &consent).await.unwrap();
    let address = PostalAddress {
        recipient: "张三".into(),
        phone: "13800138000".into(),
        province: "广东省".into(),
        city: "广州市".into(),
        district: "海珠区".into(),
        detail: "新港西路135号".into(),
    };
    table.put_address(case.id, &address).await.unwrap();
}

/// Every item of the table, as text.
async fn every_item(env: &TestEnv) -> Vec<String> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = env
            .dynamodb()
            .scan()
            .table_name(env.store.table.name())
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        items.extend(page.items().iter().map(|item| format!("{item:?}")));
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return items;
        }
    }
}

#[tokio::test]
async fn who_the_student_was_goes_after_the_task_closes_and_the_roster_with_its_last_case() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let task = open_task(table, EducationLevel::Bachelor).await;
    let start = OffsetDateTime::now_utc();
    let (case, checked, card) = submitted(&env, task.id, 1, start).await;
    identified(&env, &case, &card, "44010620040517123", start).await;
    let case = published(&env, &case, start + Duration::hours(1)).await;
    let purger = Purger {
        store: env.store.clone(),
        policy: Default::default(),
    };
    let identity_date = task.closes_at + Duration::days(180);

    // Published, its photos gone after 180 days: the identity stays until 180 days after the
    // task closed (it closes after publication here).
    purger
        .run(identity_date - Duration::minutes(1))
        .await
        .unwrap();
    assert!(table.student(&case.owner).await.unwrap().is_some());
    assert!(!table.collection(case.id).await.unwrap().is_erased());

    let log = purger.run(identity_date).await.unwrap();
    assert_eq!(log.cases_purged.get(&Kind::Identity), Some(&1));
    assert!(log.roster_items_deleted >= 3, "row, code, guard: {log:?}");
    assert!(table.student(&case.owner).await.unwrap().is_none());
    assert!(table.consents(&case.owner).await.unwrap().is_empty());
    assert!(table.card_text(&card).await.unwrap().is_none());
    assert!(table.address(case.id).await.unwrap().is_none());
    assert!(table.enrollments_of_task(task.id).await.unwrap().is_empty());
    let code = format!("C{}", case.student_number);
    assert!(
        table
            .enrollment_by_chsi_code(&code)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        table
            .case_of_enrollment(task.id, &case.student_number)
            .await
            .unwrap()
            .is_none()
    );
    let erased = table.collection(case.id).await.unwrap();
    assert!(erased.is_erased());
    assert_eq!(erased.status, domain::CollectionStatus::Published);
    assert_eq!(
        table.events(case.id).await.unwrap().len() as u64,
        erased.version
    );
    for key in [
        checked.standardised_key(),
        checked.original_key(),
        card.copy_key(),
    ] {
        assert!(!photo_exists(&env, &key).await, "{key}");
    }
    // Nothing in the table names the student any more, in the clear or by key.
    for item in every_item(&env).await {
        for personal in [
            case.owner.as_str(),
            "张三",
            "13800138000",
            "44010620040517123",
        ] {
            assert!(!item.contains(personal), "{personal} in {item}");
        }
        for partition in [
            "\"STUDENT#",
            "\"CARD#",
            "\"FACE#",
            "\"ADDRESS#",
            "\"IDENTITY#",
        ] {
            assert!(!item.contains(partition), "{partition} in {item}");
        }
    }

    // A second run changes nothing.
    let again = purger.run(identity_date + Duration::days(1)).await.unwrap();
    assert_eq!((again.objects_deleted, again.items_deleted), (0, 0));
    assert!(again.cases_purged.is_empty());
}

#[tokio::test]
async fn a_case_in_review_keeps_its_student_s_identity_and_the_task_s_roster() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let task = open_task(table, EducationLevel::Bachelor).await;
    let start = OffsetDateTime::now_utc();
    let (done, _, done_card) = submitted(&env, task.id, 1, start).await;
    identified(&env, &done, &done_card, "44010620040517123", start).await;
    published(&env, &done, start + Duration::hours(1)).await;
    let (waiting, _, waiting_card) = submitted(&env, task.id, 2, start).await;
    identified(&env, &waiting, &waiting_card, "11010520031109246", start).await;
    let purger = Purger {
        store: env.store.clone(),
        policy: Default::default(),
    };
    let log = purger
        .run(task.closes_at + Duration::days(3 * 365))
        .await
        .unwrap();
    // The published case's student is forgotten; the one in review keeps everything, and so
    // does the roster, which its review may still need.
    assert_eq!(log.cases_purged.get(&Kind::Identity), Some(&1));
    assert_eq!(log.roster_items_deleted, 0);
    assert!(table.student(&done.owner).await.unwrap().is_none());
    let kept = table.student(&waiting.owner).await.unwrap().unwrap();
    assert!(kept.identity.is_some());
    assert!(table.card_text(&waiting_card).await.unwrap().is_some());
    assert!(table.address(waiting.id).await.unwrap().is_some());
    assert_eq!(table.enrollments_of_task(task.id).await.unwrap().len(), 2);
    assert!(!table.collection(waiting.id).await.unwrap().is_erased());
}
