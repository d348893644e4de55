//! The photo processor on the local stack: presigned uploads of real photos → S3 → the
//! uploads queue → the processor → the case, the photos bucket and the stored faces.

use std::sync::{Arc, LazyLock};

use aws_lambda_events::event::sqs::SqsEvent;
use domain::privacy::{self, Consent, Purpose};
use domain::{
    Actor, AttemptId, AttemptStatus, CardProblem, CardText, CollectionId, Command, IdNumber,
    Payment, Portrait, PortraitId, PortraitStatus, ReasonCode, Student, TaskId,
};
use localstack::TestEnv;
use localstack::watch::WatchedFunction;
use photo::card::synth;
use photo::{Engine, Profile};
use photo_processor::Processor;
use store::{Digest, FaceOf, ImageType, PortraitChecked, Store, UploadKey};
use time::OffsetDateTime;

static ENGINE: LazyLock<Arc<Engine>> =
    LazyLock::new(|| Arc::new(Engine::load().expect("models load")));

fn fixture(name: &str) -> Vec<u8> {
    let path = localstack::workspace_root()
        .join("shared/photo/tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An object of the photos bucket, if there is one.
async fn photo_object(env: &TestEnv, key: &str) -> Option<Vec<u8>> {
    env.store.objects.read_photo_object(key).await.unwrap()
}

/// Hands `event` to `processor`, which must take every message.
async fn handled(processor: &Processor, event: SqsEvent) {
    let response = processor.handle(event).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
}

fn processor(store: &Store) -> Processor {
    Processor::new(store.clone(), Arc::clone(&ENGINE), Profile::blue())
}

/// A paid case with one started attempt per upload.
async fn paid_case(env: &TestEnv, attempts: usize) -> (CollectionId, Vec<AttemptId>) {
    let table = &env.store.table;
    let now = OffsetDateTime::now_utc();
    let (case, created) = domain::Collection::open(
        TaskId::new(),
        "2022001".into(),
        "openid-1".into(),
        Actor::Student,
        now,
    );
    table.open_collection(&case, &created).await.unwrap();
    let pay = Command::ConfirmPayment {
        payment: Payment {
            order_no: "order-1".into(),
            amount_fen: 3000,
            transaction_id: "tx-1".into(),
            paid_at: now,
            print_fen: 0,
        },
    };
    table
        .transition(case.id, pay, Actor::PaymentProvider, now)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..attempts {
        let attempt_id = AttemptId::new();
        let start = Command::StartAttempt { attempt_id };
        table
            .transition(case.id, start, Actor::Student, now)
            .await
            .unwrap();
        ids.push(attempt_id);
    }
    (case.id, ids)
}

/// PUTs `bytes` through a presigned URL, as the mini program does.
async fn upload(env: &TestEnv, key: UploadKey, bytes: Vec<u8>) {
    let signed = env
        .store
        .objects
        .presign_upload(key, ImageType::Jpeg, bytes.len() as u64)
        .await
        .unwrap();
    let mut request = localstack::http_client().put(&signed.url).body(bytes);
    for (name, value) in &signed.headers {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

/// The next `count` upload notifications from the queue (S3's test event skipped), as the
/// Lambda service hands them to the function.
async fn queued(env: &TestEnv, count: usize) -> SqsEvent {
    let sqs = env.sqs();
    let mut uploads = Vec::new();
    for _ in 0..30 {
        let received = sqs
            .receive_message()
            .queue_url(&env.stack.uploads_queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        uploads.extend(
            received
                .messages
                .unwrap_or_default()
                .into_iter()
                .filter(|m| !m.body().unwrap_or_default().contains("s3:TestEvent")),
        );
        if uploads.len() >= count {
            break;
        }
    }
    assert_eq!(uploads.len(), count, "upload notifications on the queue");
    serde_json::from_value(localstack::sqs_event(&uploads)).unwrap()
}

/// A photo of the ID card of `name` with `id_number`, the holder's face from `portrait` (a
/// fixture), when the machine has the font to draw it (see `synth::test_font`).
fn card_photo(name: &str, id_number: &str, portrait: &str) -> Option<Vec<u8>> {
    let font = synth::test_font()?;
    let face = image::load_from_memory(&fixture(portrait))
        .unwrap()
        .to_rgb8();
    let person = synth::person_with(name, &IdNumber::parse_stored(id_number).unwrap());
    let card = synth::render(
        &person,
        &synth::holder_photo(&face),
        &font,
        &mut synth::rng(7),
    );
    Some(synth::careful_photo(&card, 7))
}

const ZHANG: (&str, &str) = ("张三丰", "11010520030507123X");

/// A student whose ID-card portrait upload URL was issued (they consented first, as the API
/// requires).
async fn pending_portrait(env: &TestEnv, openid: &str) -> PortraitId {
    let portrait = unconsented_portrait(env, openid).await;
    let consent = Consent::given(
        privacy::current().version,
        &Purpose::ALL,
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    env.store.table.put_consent(openid, &consent).await.unwrap();
    portrait
}

/// A portrait upload of a student on record without any consent.
async fn unconsented_portrait(env: &TestEnv, openid: &str) -> PortraitId {
    let portrait = PortraitId::new();
    let student = Student {
        openid: openid.into(),
        identity: None,
        portrait: Some(Portrait {
            id: portrait,
            status: PortraitStatus::Pending,
            sha256: None,
            problem: None,
        }),
    };
    env.store.table.put_student(&student).await.unwrap();
    portrait
}

#[tokio::test]
async fn no_card_is_read_and_no_face_described_without_the_student_s_consent() {
    let env = TestEnv::new().await;
    // Any photo: without consent nothing is read, so no card need be drawn.
    let card = fixture("pass_frontal_woman_02.jpg");
    let portrait = unconsented_portrait(&env, "openid-unconsented").await;
    let checked = PortraitChecked {
        portrait,
        digest: Digest::of(&card),
    };
    upload(&env, UploadKey::Portrait(portrait), card).await;
    let event = queued(&env, 1).await;
    let response = processor(&env.store).handle(event).await;
    assert!(response.batch_item_failures.is_empty());
    let table = &env.store.table;
    assert_eq!(
        portrait_status(&env, "openid-unconsented").await,
        PortraitStatus::Pending
    );
    assert!(
        table
            .face(FaceOf::Portrait(portrait, checked.digest))
            .await
            .unwrap()
            .is_none()
    );
    assert!(table.card_text(&checked).await.unwrap().is_none());
}

async fn portrait_status(env: &TestEnv, openid: &str) -> PortraitStatus {
    let student = env.store.table.student(openid).await.unwrap().unwrap();
    student.portrait.unwrap().status
}

fn status_of(case: &domain::Collection, attempt: AttemptId) -> AttemptStatus {
    case.attempt(attempt).unwrap().status.clone()
}

#[tokio::test]
async fn uploads_become_checked_attempts_with_their_files() {
    let env = TestEnv::new().await;
    let (case_id, ids) = paid_case(&env, 5).await;
    let truncated = fixture("pass_frontal_man_01.jpg")[..4000].to_vec();
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    let files = [
        fixture("pass_frontal_man_01.jpg"),
        fixture("fail_mouth_open_smile_01.jpg"),
        fixture("fail_not_a_person_cat_01.jpg"),
        truncated,
        gif,
    ];
    for (attempt, bytes) in ids.iter().zip(files.clone()) {
        let key = UploadKey::Attempt {
            collection: case_id,
            attempt: *attempt,
        };
        upload(&env, key, bytes).await;
    }
    let event = queued(&env, ids.len()).await;

    let processor = processor(&env.store);
    let response = processor.handle(event.clone()).await;
    assert!(response.batch_item_failures.is_empty());

    let table = &env.store.table;
    let case = table.collection(case_id).await.unwrap();
    let rejected = |reasons: &[ReasonCode]| AttemptStatus::Rejected {
        reasons: reasons.to_vec(),
    };
    assert_eq!(status_of(&case, ids[0]), AttemptStatus::Passed);
    let AttemptStatus::Rejected { reasons } = status_of(&case, ids[1]) else {
        panic!("an open mouth passed");
    };
    assert!(reasons.contains(&ReasonCode::MouthOpen), "{reasons:?}");
    assert_eq!(status_of(&case, ids[2]), rejected(&[ReasonCode::NoFace]));
    assert_eq!(
        status_of(&case, ids[3]),
        rejected(&[ReasonCode::CorruptImage])
    );
    assert_eq!(
        status_of(&case, ids[4]),
        rejected(&[ReasonCode::UnsupportedFormat])
    );

    // Every verdict names the digest of the bytes it was made from: their copy, and the
    // report; the passed attempt's photo and face too.
    for (i, (attempt, sent)) in ids.iter().zip(&files).enumerate() {
        let checked = table
            .checked(case_id, *attempt)
            .await
            .unwrap()
            .expect("evidence with every verdict");
        assert_eq!(checked.digest, Digest::of(sent));
        let copy = photo_object(&env, &checked.original_key()).await;
        assert_eq!(copy.as_deref(), Some(sent.as_slice()));
        let report = photo_object(&env, &checked.report_key())
            .await
            .expect("a report for every attempt");
        let report: serde_json::Value = serde_json::from_slice(&report).unwrap();
        assert_eq!(report["schema"], "idphoto.report/1");
        assert_eq!(report["passed"], i == 0);
        let photo = photo_object(&env, &checked.standardised_key()).await;
        assert_eq!(photo.is_some(), i == 0, "photo of attempt {i}");
        if let Some(jpeg) = photo {
            let img = image::load_from_memory(&jpeg).unwrap();
            assert_eq!((img.width(), img.height()), (480, 640));
        }
        // A small preview of what was uploaded wherever a face was found (the passed photo
        // and the open mouth), with the regions a refusal points at.
        let preview = photo_object(&env, &checked.preview_key()).await;
        assert_eq!(preview.is_some(), i < 2, "preview of attempt {i}");
        if let Some(jpeg) = preview {
            let img = image::load_from_memory(&jpeg).unwrap();
            assert!(img.width().max(img.height()) <= 320, "{}", img.width());
            assert!(report["regions"]["mouth"][0]["w"].as_f64().unwrap() > 0.0);
        }
        let face = table
            .face(FaceOf::Attempt(*attempt, checked.digest))
            .await
            .unwrap();
        assert_eq!(face.map(|f| f.len()), (i == 0).then_some(128));
    }
    let events = table.events(case_id).await.unwrap();
    // Opened, paid, 5 started, and per attempt processing begun and checked.
    assert_eq!(events.len(), 2 + 5 + 2 * 5);

    // The same messages again (SQS delivers at least once): nothing changes.
    let response = processor.handle(event).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(table.collection(case_id).await.unwrap(), case);
    assert_eq!(table.events(case_id).await.unwrap().len(), events.len());
}

#[tokio::test]
async fn failing_writes_are_retried_and_decide_nothing_half_way() {
    let env = TestEnv::new().await;
    let (case_id, ids) = paid_case(&env, 1).await;
    let key = UploadKey::Attempt {
        collection: case_id,
        attempt: ids[0],
    };
    upload(&env, key, fixture("pass_frontal_man_01.jpg")).await;
    let Some(card) = card_photo(ZHANG.0, ZHANG.1, "pass_frontal_woman_02.jpg") else {
        return;
    };
    let portrait = pending_portrait(&env, "openid-p").await;
    upload(&env, UploadKey::Portrait(portrait), card).await;
    let event = queued(&env, 2).await;

    // A photos bucket that does not exist: the copies and results fail to write like an S3
    // outage. Each message fails on its own, and neither is decided half-way.
    let mut config = localstack::store_config(
        &env.stack.names,
        store::PiiKeys::from_base64(&env.pii_key).unwrap(),
    );
    config.buckets.photos = format!("{}-missing", env.stack.names.photos_bucket);
    let broken = Processor::new(
        Store::with_sdk_config(&env.sdk, config),
        Arc::clone(&ENGINE),
        Profile::blue(),
    );
    let response = broken.handle(event.clone()).await;
    let mut failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    failed.sort();
    let mut sent: Vec<_> = event
        .records
        .iter()
        .filter_map(|r| r.message_id.clone())
        .collect();
    sent.sort();
    assert_eq!(failed, sent);
    let table = &env.store.table;
    let case = table.collection(case_id).await.unwrap();
    assert_eq!(status_of(&case, ids[0]), AttemptStatus::Processing);
    assert_eq!(
        portrait_status(&env, "openid-p").await,
        PortraitStatus::Pending
    );

    // The retry, once S3 is back, finishes what was begun.
    let response = processor(&env.store).handle(event).await;
    assert!(response.batch_item_failures.is_empty());
    let case = table.collection(case_id).await.unwrap();
    assert_eq!(status_of(&case, ids[0]), AttemptStatus::Passed);
    assert_eq!(
        portrait_status(&env, "openid-p").await,
        PortraitStatus::Usable
    );
}

/// The ID card's photo: read, its text sealed and its face described; or unusable, with what
/// the student must retake.
#[tokio::test]
async fn id_cards_are_read_with_their_face_or_marked_unusable_with_what_to_retake() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let Some(card) = card_photo(ZHANG.0, ZHANG.1, "pass_frontal_woman_02.jpg") else {
        return;
    };
    let font = synth::test_font().unwrap();
    let emblem = synth::render_emblem(&font, &mut synth::rng(3));
    let emblem = synth::careful_photo(&emblem, 3);
    let mut portraits = Vec::new();
    for (openid, bytes) in [
        ("openid-a", card.clone()),
        ("openid-b", fixture("fail_not_a_person_cat_01.jpg")),
        ("openid-c", emblem),
        // A portrait, however good, is not a card.
        ("openid-d", fixture("pass_frontal_man_01.jpg")),
    ] {
        let portrait = pending_portrait(&env, openid).await;
        portraits.push(PortraitChecked {
            portrait,
            digest: Digest::of(&bytes),
        });
        upload(&env, UploadKey::Portrait(portrait), bytes).await;
    }
    let event = queued(&env, 4).await;
    let processor = processor(&env.store);
    let response = processor.handle(event.clone()).await;
    assert!(response.batch_item_failures.is_empty());

    let decided = |openid: &'static str| async move {
        table
            .student(openid)
            .await
            .unwrap()
            .unwrap()
            .portrait
            .unwrap()
    };
    let read = decided("openid-a").await;
    assert_eq!((read.status, read.problem), (PortraitStatus::Usable, None));
    let emblem = decided("openid-c").await;
    assert_eq!(
        (emblem.status, emblem.problem),
        (PortraitStatus::Unusable, Some(CardProblem::EmblemSide))
    );
    // No card, or a bright rectangle on which nothing of a card's print was read.
    for openid in ["openid-b", "openid-d"] {
        let p = decided(openid).await;
        assert_eq!(p.status, PortraitStatus::Unusable, "{openid}");
        assert!(
            matches!(
                p.problem,
                Some(CardProblem::NoCard | CardProblem::Unreadable)
            ),
            "{openid}: {p:?}"
        );
    }
    // Each decision records the digest of the bytes it was made on, which name the copy the
    // reviewer is shown, the descriptor and the card's text.
    for (openid, checked) in ["openid-a", "openid-b", "openid-c", "openid-d"]
        .into_iter()
        .zip(&portraits)
    {
        assert_eq!(
            PortraitChecked::of(&decided(openid).await).as_ref(),
            Some(checked)
        );
        let copy = photo_object(&env, &checked.copy_key()).await;
        assert!(copy.is_some());
    }
    let text = table.card_text(&portraits[0]).await.unwrap();
    let zhang = IdNumber::parse_stored(ZHANG.1).unwrap();
    assert_eq!(
        text,
        Some(CardText::Read {
            name: ZHANG.0.into(),
            id_number: zhang.clone()
        })
    );
    let face_of = |c: &PortraitChecked| FaceOf::Portrait(c.portrait, c.digest);
    let face = table.face(face_of(&portraits[0])).await.unwrap();
    assert_eq!(face.map(|f| f.len()), Some(128));
    for unusable in &portraits[1..] {
        assert_eq!(table.face(face_of(unusable)).await.unwrap(), None);
        assert_eq!(table.card_text(unusable).await.unwrap(), None);
    }
    // Sealed: neither the name nor the number is stored in plain text.
    let scan = env
        .dynamodb()
        .scan()
        .table_name(table.name())
        .send()
        .await
        .unwrap();
    let dump = format!("{:?}", scan.items());
    assert!(!dump.contains(ZHANG.0) && !dump.contains(ZHANG.1));

    // The decided card's URL replayed with another card: the event changes nothing, and
    // the decision still names the bytes first read.
    let other = card_photo("李四", "110105200311092467", "pass_frontal_man_01.jpg").unwrap();
    upload(
        &env,
        UploadKey::Portrait(portraits[0].portrait),
        other.clone(),
    )
    .await;
    let replay = queued(&env, 1).await;
    handled(&processor, replay).await;
    assert_eq!(
        PortraitChecked::of(&decided("openid-a").await).as_ref(),
        Some(&portraits[0])
    );
    let stranger = PortraitChecked {
        portrait: portraits[0].portrait,
        digest: Digest::of(&other),
    };
    assert_eq!(table.face(face_of(&stranger)).await.unwrap(), None);
    assert_eq!(table.card_text(&stranger).await.unwrap(), None);

    // A new card replaces the old one; a late event for the old one changes nothing.
    pending_portrait(&env, "openid-a").await;
    handled(&processor, event).await;
    assert_eq!(
        portrait_status(&env, "openid-a").await,
        PortraitStatus::Pending
    );
}

/// The function as Lambda runs it: the `photo-processor` binary under `cargo lambda watch`,
/// invoked with the queue's messages through `cargo lambda invoke`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_processes_a_batch_through_cargo_lambda_invoke() {
    let env = TestEnv::new().await;
    let (case_id, ids) = paid_case(&env, 1).await;
    let key = UploadKey::Attempt {
        collection: case_id,
        attempt: ids[0],
    };
    upload(&env, key, fixture("pass_frontal_woman_02.jpg")).await;
    let event = queued(&env, 1).await;

    let function = WatchedFunction::start_events(
        "photo-processor",
        "photo-processor",
        &env.stack_names().function_env(),
        &serde_json::json!({ "Records": [] }),
    )
    .await
    .unwrap();
    let answer = function
        .invoke(&serde_json::to_value(&event).unwrap())
        .await
        .unwrap();
    assert_eq!(answer, serde_json::json!({ "batchItemFailures": [] }));

    let case = env.store.table.collection(case_id).await.unwrap();
    assert_eq!(status_of(&case, ids[0]), AttemptStatus::Passed);
    let checked = env
        .store
        .table
        .checked(case_id, ids[0])
        .await
        .unwrap()
        .expect("the verdict's evidence");
    let photo = photo_object(&env, &checked.standardised_key()).await;
    assert!(photo.is_some());
}

/// A presigned upload can be replayed for five minutes. A student who passes the check and
/// then PUTs another photo (someone else's face) to the same URL changes nothing that counts:
/// the event is ignored (the attempt is final), and what reviewers and the publisher read is
/// named by the digest recorded with the verdict: the bytes that were checked.
#[tokio::test]
async fn a_replayed_upload_after_the_check_changes_nothing_that_counts() {
    let env = TestEnv::new().await;
    let (case_id, ids) = paid_case(&env, 1).await;
    let key = UploadKey::Attempt {
        collection: case_id,
        attempt: ids[0],
    };
    let checked_bytes = fixture("pass_frontal_man_01.jpg");
    upload(&env, key, checked_bytes.clone()).await;
    let processor = processor(&env.store);
    let first = queued(&env, 1).await;
    handled(&processor, first).await;
    let table = &env.store.table;
    let case = table.collection(case_id).await.unwrap();
    assert_eq!(status_of(&case, ids[0]), AttemptStatus::Passed);

    // The replay: other bytes at the same key, and their event.
    let stranger = fixture("pass_frontal_woman_02.jpg");
    upload(&env, key, stranger.clone()).await;
    let replay = queued(&env, 1).await;
    handled(&processor, replay).await;
    assert_eq!(
        env.store.objects.read_upload(key).await.unwrap().as_deref(),
        Some(stranger.as_slice()),
        "the replay did land at the upload key"
    );

    assert_eq!(table.collection(case_id).await.unwrap(), case);
    let checked = table.checked(case_id, ids[0]).await.unwrap().unwrap();
    assert_eq!(checked.digest, Digest::of(&checked_bytes));
    let shown = photo_object(&env, &checked.original_key()).await;
    assert_eq!(shown.as_deref(), Some(checked_bytes.as_slice()));
    // Nothing was made from the stranger's bytes.
    let never = store::Checked {
        digest: Digest::of(&stranger),
        ..checked
    };
    for made in [
        never.original_key(),
        never.standardised_key(),
        never.report_key(),
    ] {
        assert!(photo_object(&env, &made).await.is_none(), "{made}");
    }
}

/// Two deliveries of one attempt, the upload replaced between their reads (a presigned PUT
/// replayed while the first check runs): both run the engine, one verdict is recorded, and the
/// objects and descriptor kept are exactly those of its bytes, whichever wins.
#[tokio::test]
async fn concurrent_deliveries_keep_only_what_the_recorded_verdict_was_made_from() {
    let env = TestEnv::new().await;
    let (case_id, ids) = paid_case(&env, 1).await;
    let key = UploadKey::Attempt {
        collection: case_id,
        attempt: ids[0],
    };
    let (early, late) = (
        fixture("pass_frontal_woman_02.jpg"),
        fixture("pass_frontal_man_01.jpg"),
    );
    let made_from = |bytes: &[u8]| store::Checked {
        collection: case_id,
        attempt: ids[0],
        digest: Digest::of(bytes),
    };
    let (first, second) = (made_from(&early), made_from(&late));
    upload(&env, key, early.clone()).await;
    let processor = processor(&env.store);
    let delivery = queued(&env, 1).await;
    let replay = async {
        // Once the first delivery holds its bytes (its copy is written, the engine runs next),
        // the upload is replaced and delivered again.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        while photo_object(&env, &first.original_key()).await.is_none() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the first delivery never wrote its copy"
            );
            tokio::task::yield_now().await;
        }
        upload(&env, key, late.clone()).await;
        let again = queued(&env, 1).await;
        handled(&processor, again).await;
    };
    tokio::join!(handled(&processor, delivery), replay);

    let table = &env.store.table;
    let recorded = table.checked(case_id, ids[0]).await.unwrap().unwrap();
    let case = table.collection(case_id).await.unwrap();
    assert_eq!(status_of(&case, ids[0]), AttemptStatus::Passed);
    for made in [first, second] {
        let kept = made.digest == recorded.digest;
        for object in [
            made.original_key(),
            made.standardised_key(),
            made.report_key(),
        ] {
            let there = photo_object(&env, &object).await.is_some();
            assert_eq!(there, kept, "{object} (recorded: {kept})");
        }
        let face = table
            .face(FaceOf::Attempt(ids[0], made.digest))
            .await
            .unwrap();
        assert_eq!(face.is_some(), kept);
    }
}

/// A retoucher's correction is checked for the standard's file and geometry only: the
/// engine's own standardised photo passes and the case goes back to review, named by its
/// digest; a photo of the wrong size is refused with the problems where the retoucher reads
/// them, and the case stays with the retoucher.
#[tokio::test]
async fn a_retouched_photo_within_the_standard_goes_back_to_review() {
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let (case_id, ids) = paid_case(&env, 1).await;
    let attempt = ids[0];
    let now = OffsetDateTime::now_utc();
    let system = Actor::System("photo-processor".into());
    // The submitted photo, passed, with its evidence and its face, as the processor leaves it.
    let man = fixture("pass_frontal_man_01.jpg");
    let checked = store::Checked {
        collection: case_id,
        attempt,
        digest: Digest::of(&man),
    };
    let face = ENGINE.describe_portrait(&man).unwrap().unwrap();
    table
        .put_face(FaceOf::Attempt(attempt, checked.digest), &face.0)
        .await
        .unwrap();
    let begin = Command::BeginProcessing {
        attempt_id: attempt,
    };
    table
        .transition(case_id, begin, system.clone(), now)
        .await
        .unwrap();
    let passed = Command::RecordCheck {
        attempt_id: attempt,
        outcome: domain::CheckOutcome::Passed {
            review_flags: vec![],
        },
    };
    let evidence = [store::Along::Evidence(&checked)];
    table
        .transition_along(case_id, passed, system, now, &evidence)
        .await
        .unwrap();
    for (command, actor) in [
        (
            Command::Submit {
                attempt_id: attempt,
                face_match: None,
            },
            Actor::Student,
        ),
        (
            Command::SendToRetouch {
                reviewer: "reviewer-1".into(),
                note: "衣领偏蓝".into(),
            },
            Actor::Reviewer("reviewer-1".into()),
        ),
    ] {
        table
            .transition(case_id, command, actor, now)
            .await
            .unwrap();
    }
    let case = table.collection(case_id).await.unwrap();
    table
        .take_lease(
            domain::Lease::claim(case_id, case.task_id, "retoucher-1", now),
            now,
        )
        .await
        .unwrap();
    let key = UploadKey::Retouch {
        collection: case_id,
        attempt,
    };
    let check_key = store::RetouchedKey::check_key(case_id, attempt);
    let processor = processor(&env.store);

    // The retoucher uploads `bytes`: what becomes of the case, and what the check says.
    let retouch = |bytes: Vec<u8>| {
        let (env, processor, check_key) = (&env, &processor, &check_key);
        async move {
            upload(env, key, bytes).await;
            handled(processor, queued(env, 1).await).await;
            let case = env.store.table.collection(case_id).await.unwrap();
            let check = photo_object(env, check_key).await.unwrap();
            let check: serde_json::Value = serde_json::from_slice(&check).unwrap();
            (case, check)
        }
    };
    let standardised = |name: &str| {
        ENGINE
            .standardize(&fixture(name), &Profile::blue())
            .unwrap()
            .jpeg
            .unwrap()
    };

    // The photo as the student took it: not 480×640, refused with why.
    let (case, check) = retouch(fixture("pass_frontal_man_01.jpg")).await;
    assert_eq!(case.status, domain::CollectionStatus::Retouching);
    let problems = check["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().unwrap().starts_with("size")),
        "{check}"
    );

    // A photo within the standard but of someone else: retouching never changes the face.
    let (case, check) = retouch(standardised("pass_frontal_woman_02.jpg")).await;
    assert_eq!(case.status, domain::CollectionStatus::Retouching);
    let problems = check["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{check}");
    assert!(
        problems[0]
            .as_str()
            .unwrap()
            .starts_with("face: not clearly"),
        "{check}"
    );

    // A correction within the standard (here the engine's own output of the submitted photo).
    let corrected = standardised("pass_frontal_man_01.jpg");
    let (back, check) = retouch(corrected.clone()).await;
    assert_eq!(back.status, domain::CollectionStatus::InReview);
    let retouched = back.retouch.as_ref().unwrap().retouched.as_ref().unwrap();
    assert_eq!(retouched.retoucher, "retoucher-1");
    assert_eq!(retouched.sha256, Digest::of(&corrected).to_string());
    let kept = store::RetouchedKey::of(&back).unwrap();
    assert_eq!(photo_object(&env, &kept.photo_key()).await, Some(corrected));
    assert_eq!(check["problems"], serde_json::json!([]));
    // The retoucher's lease ended with it: a reviewer may take the case at once.
    let lease = table.lease(case_id).await.unwrap().unwrap();
    assert!(!lease.is_live(OffsetDateTime::now_utc()));
}

/// A batch running out of time returns only what it did not finish: the photo done stays
/// done, the one not started comes back to the queue untouched (no receive wasted on a
/// healthy photo beyond the one SQS counts).
#[tokio::test]
async fn a_batch_near_its_deadline_returns_only_the_photos_it_did_not_finish() {
    let env = TestEnv::new().await;
    let (case_id, ids) = paid_case(&env, 2).await;
    for attempt in &ids {
        let key = UploadKey::Attempt {
            collection: case_id,
            attempt: *attempt,
        };
        upload(&env, key, fixture("pass_frontal_man_01.jpg")).await;
    }
    let event = queued(&env, 2).await;
    let second = event.records[1].message_id.clone().unwrap();
    let processor = processor(&env.store);
    // An hour left for the first photo, none once it is done.
    let asked = std::sync::atomic::AtomicUsize::new(0);
    let left = || {
        let first = asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
        Some(std::time::Duration::from_secs(if first { 3600 } else { 0 }))
    };
    let response = processor.handle_until(event.clone(), left).await;
    let returned: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(returned, [second]);
    // One photo checked, the other never started (the queue's order need not be the uploads').
    let case = env.store.table.collection(case_id).await.unwrap();
    let mut statuses = ids.iter().map(|a| status_of(&case, *a)).collect::<Vec<_>>();
    statuses.sort_by_key(|s| matches!(s, AttemptStatus::Uploaded));
    assert_eq!(statuses, [AttemptStatus::Passed, AttemptStatus::Uploaded]);

    // Past its deadline, nothing is started: the whole batch comes back.
    let late = processor
        .handle_until(event, || Some(std::time::Duration::ZERO))
        .await;
    assert_eq!(late.batch_item_failures.len(), 2);
}

/// A photo uploaded after its student's data was erased (through a presigned URL issued
/// before) is not processed: nothing is made of it that the erasure would have deleted.
#[tokio::test]
async fn an_upload_that_arrives_after_its_student_s_erasure_is_not_processed() {
    let env = TestEnv::new().await;
    let (case_id, ids) = paid_case(&env, 1).await;
    env.store
        .table
        .erase_case(case_id, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let key = UploadKey::Attempt {
        collection: case_id,
        attempt: ids[0],
    };
    upload(&env, key, fixture("pass_frontal_man_01.jpg")).await;
    let event = queued(&env, 1).await;
    handled(&processor(&env.store), event).await;
    let case = env.store.table.collection(case_id).await.unwrap();
    assert_eq!(status_of(&case, ids[0]), AttemptStatus::Uploaded);
    assert!(
        env.store
            .table
            .checked(case_id, ids[0])
            .await
            .unwrap()
            .is_none()
    );
}
