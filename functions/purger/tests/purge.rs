//! The purge on moto: a published case's data goes as it falls due, and only then; a second
//! run deletes nothing; a case in review is never touched, however late.

use domain::retention::Kind;
use domain::{Actor, AttemptId, BatchId, Collection, Command, EducationLevel, PortraitId};
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
        Actor::Student(openid.clone()),
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
    let steps = paid_to_submitted(&openid, submission, at);
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
    // The audit trail is whole.
    assert_eq!(
        table.events(case.id).await.unwrap().len() as u64,
        case.version
    );
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
