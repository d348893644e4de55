//! Publishing on moto: approved cases leave in batches, through the S3 outbox or an HTTP
//! receiver that fails on demand, and no case is ever in two batches or left behind.

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use chsi::{Archive, ChsiGateway, HttpGateway, ManifestRow, S3Outbox};
use domain::{
    Actor, AttemptId, BatchStatus, Collection, CollectionStatus, CollectionTask, Command,
    EducationLevel, Enrollment, IdNumber, PublishBatch, RosterRow,
};
use localstack::TestEnv;
use localstack::fixtures::{Submission, live_through, open_task, paid_to_submitted};
use localstack::peers::ChsiPeer;
use publisher::{Publisher, RunSummary};
use store::Store;
use time::{Duration, OffsetDateTime};

const PHOTO: &[u8] =
    include_bytes!("../../../shared/photo/tests/fixtures/pass_frontal_woman_02.jpg");
const TOKEN: &str = "chsi-test-token";

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn outbox(store: &Store) -> Box<dyn ChsiGateway> {
    Box::new(S3Outbox::new(
        store.objects.client().clone(),
        store.objects.buckets().outbox.clone(),
    ))
}

fn http(peer: &ChsiPeer) -> Box<dyn ChsiGateway> {
    Box::new(HttpGateway::new(
        peer.base_url.clone(),
        TOKEN.into(),
        StdDuration::from_secs(30),
    ))
}

async fn task(store: &Store) -> CollectionTask {
    open_task(&store.table, EducationLevel::Master).await
}

/// A valid ID number born on 2004-05-17 in 广州市天河区, with `seq` as its sequence code.
fn id_number(seq: u16) -> IdNumber {
    IdNumber::parse(
        &IdNumber::complete(&format!("44010620040517{seq:03}")).unwrap(),
        time::macros::date!(2026 - 06 - 01),
    )
    .unwrap()
}

/// An enrolled student's case, paid, photographed, checked, submitted and approved, with
/// its standardised photo in place unless `with_photo` is false.
async fn approved_case(
    store: &Store,
    task: &CollectionTask,
    seq: u16,
    with_photo: bool,
) -> (Collection, IdNumber) {
    let student_number = format!("2022{seq:03}");
    let id = id_number(seq);
    let enrollment = Enrollment::from_row(
        task.id,
        &RosterRow {
            student_number: &student_number,
            name: "李同学",
            id_number: id.as_str(),
            school: &task.school,
            education_level: task.education_level,
            major: "计算机科学与技术",
            chsi_code: "",
        },
        store.clock.now().date(),
    )
    .unwrap();
    store.table.put_enrollments(&[enrollment]).await.unwrap();
    let openid = format!("o-student-{seq}");
    let (case, created) = Collection::open(
        task.id,
        student_number,
        openid.clone(),
        Actor::Student,
        now(),
    );
    store.table.open_collection(&case, &created).await.unwrap();

    let attempt = AttemptId::new();
    let submission = Submission {
        attempt,
        review_flags: Vec::new(),
        face_match: None,
    };
    let mut steps = paid_to_submitted(submission, now());
    steps.push((
        Command::Approve {
            reviewer: "r1".into(),
        },
        Actor::Reviewer("r1".into()),
    ));
    let checked = store::Checked {
        collection: case.id,
        attempt,
        digest: store::Digest::of(PHOTO),
    };
    live_through(&store.table, case.id, steps, &checked, None, now()).await;
    if with_photo {
        store
            .objects
            .put_photo_object(&checked.standardised_key(), "image/jpeg", PHOTO.to_vec())
            .await
            .unwrap();
    }
    let case = store.table.collection(case.id).await.unwrap();
    assert_eq!(case.status, CollectionStatus::Approved);
    (case, id)
}

/// Every archive in the outbox: `(key, bytes)`.
async fn outbox_archives(store: &Store) -> Vec<(String, Vec<u8>)> {
    let s3 = store.objects.client();
    let bucket = &store.objects.buckets().outbox;
    let listing = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    let mut archives = Vec::new();
    for object in listing.contents() {
        let key = object.key().unwrap().to_owned();
        let body = s3
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        archives.push((key, body.body.collect().await.unwrap().to_vec()));
    }
    archives
}

fn manifest(bytes: &[u8]) -> Vec<ManifestRow> {
    Archive::read(bytes).unwrap().0
}

async fn case(store: &Store, id: domain::CollectionId) -> Collection {
    store.table.collection(id).await.unwrap()
}

async fn batch_of(store: &Store, case: &Collection) -> PublishBatch {
    let id = store
        .table
        .collection(case.id)
        .await
        .unwrap()
        .batch_id
        .unwrap();
    store.table.batch(id).await.unwrap()
}

/// The commands the publisher applied to a case, in order.
async fn publisher_commands(store: &Store, case: &Collection) -> Vec<&'static str> {
    store
        .table
        .events(case.id)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.actor == Actor::System("publisher".into()))
        .filter_map(|e| e.command.as_ref().map(Command::name))
        .collect()
}

#[tokio::test]
async fn outbox_gets_one_archive_per_task_and_every_case_ends_published() {
    let env = TestEnv::new().await;
    let store = &env.store;
    let (first, second) = (task(store).await, task(store).await);
    let mut cases = Vec::new();
    for (task, seq) in [(&first, 1), (&first, 2), (&second, 3)] {
        cases.push((task.id, approved_case(store, task, seq, true).await));
    }

    let summary = Publisher::new(store.clone(), outbox(store))
        .run(now())
        .await
        .unwrap();
    assert_eq!(
        summary,
        RunSummary {
            batches_created: 2,
            batches_delivered: 2,
            batches_failed: 0,
            cases_published: 3,
        }
    );

    let archives = outbox_archives(store).await;
    assert_eq!(archives.len(), 2, "one archive per task");
    for (task_id, (approved, id)) in &cases {
        let published = case(store, approved.id).await;
        assert_eq!(published.status, CollectionStatus::Published);
        let batch = batch_of(store, approved).await;
        assert_eq!(batch.status, BatchStatus::Acknowledged);
        assert_eq!(batch.task_id, *task_id);
        assert!(batch.receipt.is_some());
        assert_eq!(
            publisher_commands(store, approved).await,
            ["batch", "acknowledge_published"]
        );

        let key = store::objects::batch_key(*task_id, batch.id);
        let (_, bytes) = archives.iter().find(|(k, _)| *k == key).unwrap();
        assert!(
            !bytes.windows(18).any(|w| w == id.as_str().as_bytes()),
            "the full ID number never leaves"
        );
        let (rows, photos) = Archive::read(bytes).unwrap();
        let row = rows
            .iter()
            .find(|r| r.collection_id == approved.id.to_string())
            .unwrap();
        assert_eq!(row.masked_id, id.masked());
        assert_eq!(row.student_number, approved.student_number);
        assert_eq!(row.name, "李同学");
        assert_eq!(row.school, "华南理工大学");
        assert_eq!(row.level, EducationLevel::Master.name_zh());
        let (_, photo) = photos.iter().find(|(f, _)| *f == row.photo_file).unwrap();
        assert_eq!(
            photo.as_slice(),
            PHOTO,
            "the approved photo, checked by its sha256"
        );
    }
    assert!(store.table.open_batches().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_second_run_publishes_nothing_new() {
    let env = TestEnv::new().await;
    let store = &env.store;
    let task = task(store).await;
    let (approved, _) = approved_case(store, &task, 1, true).await;
    let publisher = Publisher::new(store.clone(), outbox(store));
    publisher.run(now()).await.unwrap();
    let events = store.table.events(approved.id).await.unwrap();
    let archives = outbox_archives(store).await;

    let again = publisher.run(now()).await.unwrap();

    assert_eq!(again, RunSummary::default());
    assert_eq!(store.table.events(approved.id).await.unwrap(), events);
    assert_eq!(outbox_archives(store).await, archives);
}

#[tokio::test]
async fn a_failed_delivery_is_retried_under_the_same_batch_id() {
    let env = TestEnv::new().await;
    let store = &env.store;
    let peer = ChsiPeer::start(TOKEN).await;
    let task = task(store).await;
    let a = approved_case(store, &task, 1, true).await.0;
    let b = approved_case(store, &task, 2, true).await.0;
    let publisher = Publisher::new(store.clone(), http(&peer));

    peer.fail_next(1);
    let first = publisher.run(now()).await.unwrap();
    assert_eq!((first.batches_failed, first.cases_published), (1, 0));
    let failed = batch_of(store, &a).await;
    assert_eq!(failed.status, BatchStatus::Failed);
    assert_eq!(failed.attempts, 1);
    assert!(failed.last_error.is_some());
    for id in [a.id, b.id] {
        let stuck = case(store, id).await;
        assert_eq!(stuck.status, CollectionStatus::Publishing);
        assert_eq!(stuck.batch_id, Some(failed.id));
    }

    let second = publisher.run(now()).await.unwrap();
    assert_eq!(
        (
            second.batches_created,
            second.batches_delivered,
            second.cases_published
        ),
        (0, 1, 2)
    );
    let delivered = store.table.batch(failed.id).await.unwrap();
    assert_eq!(delivered.status, BatchStatus::Acknowledged);
    assert_eq!(delivered.attempts, 2);
    assert_eq!(delivered.last_error, None);
    for id in [a.id, b.id] {
        assert_eq!(case(store, id).await.status, CollectionStatus::Published);
    }
    let received = peer.received();
    assert_eq!(received.len(), 1, "the peer saw one archive");
    assert_eq!(received[0].0, failed.id.to_string());
    assert_eq!(peer.attempts(), 2);
    assert_eq!(manifest(&received[0].1).len(), 2);
}

#[tokio::test]
async fn a_case_approved_between_runs_joins_a_new_batch_and_none_is_in_two() {
    let env = TestEnv::new().await;
    let store = &env.store;
    let peer = ChsiPeer::start(TOKEN).await;
    let task = task(store).await;
    let early = approved_case(store, &task, 1, true).await.0;
    let publisher = Publisher::new(store.clone(), http(&peer));
    peer.fail_next(1);
    publisher.run(now()).await.unwrap();
    let old = case(store, early.id).await.batch_id.unwrap();

    let late = approved_case(store, &task, 2, true).await.0;
    let summary = publisher.run(now()).await.unwrap();

    assert_eq!(
        (
            summary.batches_created,
            summary.batches_delivered,
            summary.cases_published
        ),
        (1, 2, 2)
    );
    let late = case(store, late.id).await;
    assert_eq!(late.status, CollectionStatus::Published);
    assert_ne!(late.batch_id, Some(old), "never into an old batch");
    let received = peer.received();
    assert_eq!(received.len(), 2);
    let old_rows = &received
        .iter()
        .find(|(id, _)| *id == old.to_string())
        .unwrap()
        .1;
    assert_eq!(
        manifest(old_rows)
            .iter()
            .map(|r| r.collection_id.clone())
            .collect::<Vec<_>>(),
        [early.id.to_string()]
    );
    let mut seen = HashSet::new();
    for (_, bytes) in &received {
        for row in manifest(bytes) {
            assert!(seen.insert(row.collection_id), "a case in two batches");
        }
    }
    assert_eq!(seen.len(), 2);
}

#[tokio::test]
async fn a_batch_left_pending_by_a_dead_run_is_finished_with_only_the_cases_that_joined() {
    let env = TestEnv::new().await;
    let store = &env.store;
    let task = task(store).await;
    let joined = approved_case(store, &task, 1, true).await.0;
    let left_out = approved_case(store, &task, 2, true).await.0;
    // A run that wrote its batch, moved one case, and died.
    let start = now();
    let dead = PublishBatch::new(task.id, vec![joined.id, left_out.id], start);
    store.table.put_new_batch(&dead).await.unwrap();
    let publisher_actor = Actor::System("publisher".into());
    let command = Command::Batch { batch_id: dead.id };
    store
        .table
        .transition(joined.id, command, publisher_actor, start)
        .await
        .unwrap();
    let publisher = Publisher::new(store.clone(), outbox(store));

    // While the batch may still be forming, its candidate that never joined goes elsewhere.
    let soon = publisher.run(start).await.unwrap();
    assert_eq!((soon.batches_created, soon.cases_published), (1, 1));
    assert_eq!(
        case(store, joined.id).await.status,
        CollectionStatus::Publishing
    );
    let elsewhere = case(store, left_out.id).await;
    assert_eq!(elsewhere.status, CollectionStatus::Published);
    assert_ne!(elsewhere.batch_id, Some(dead.id));

    let later = publisher.run(start + Duration::minutes(21)).await.unwrap();
    assert_eq!((later.batches_delivered, later.cases_published), (1, 1));
    let finished = store.table.batch(dead.id).await.unwrap();
    assert_eq!(finished.status, BatchStatus::Acknowledged);
    assert_eq!(finished.collections, [joined.id]);
    assert_eq!(
        case(store, joined.id).await.status,
        CollectionStatus::Published
    );
    let key = store::objects::batch_key(task.id, dead.id);
    let (_, bytes) = outbox_archives(store)
        .await
        .into_iter()
        .find(|(k, _)| *k == key)
        .unwrap();
    assert_eq!(manifest(&bytes).len(), 1);
}

#[tokio::test]
async fn a_missing_photo_fails_the_batch_and_names_the_case() {
    let env = TestEnv::new().await;
    let store = &env.store;
    let task = task(store).await;
    let (without, _) = approved_case(store, &task, 1, false).await;

    let summary = Publisher::new(store.clone(), outbox(store))
        .run(now())
        .await
        .unwrap();

    assert_eq!((summary.batches_failed, summary.cases_published), (1, 0));
    let batch = batch_of(store, &without).await;
    assert_eq!(batch.status, BatchStatus::Failed);
    assert!(batch.last_error.unwrap().contains(&without.id.to_string()));
    assert_eq!(
        case(store, without.id).await.status,
        CollectionStatus::Publishing
    );
    assert!(outbox_archives(store).await.is_empty());
}
