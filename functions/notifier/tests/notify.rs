//! The notifier against moto's real table stream and the local WeChat: transitions are written
//! through the store, their stream records read back as Lambda would deliver them.

use std::collections::HashMap;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use domain::{
    Actor, AttemptId, BatchId, CheckOutcome, Collection, CollectionId, CollectionTask, Command,
    EducationLevel, NewTask, Payment, PhotoProfile, ReasonCode, SessionCode,
};
use localstack::TestEnv;
use localstack::peers::{DeliveredMessage, WeChatMessagePeer};
use localstack::streams::{StartAt, TableStream};
use notifier::Notifier;
use notifier::news::Landing;
use notifier::settings::Settings;
use serde_json::Value;
use store::{Notice, NoticeKind, NoticeOutcome};
use time::OffsetDateTime;
use time::macros::datetime;
use wechat::{MessageClient, MiniProgramState, Retry};

const RETRY: Retry = Retry {
    attempts: 2,
    first_delay: Duration::from_millis(10),
};

struct Harness {
    env: TestEnv,
    peer: WeChatMessagePeer,
    stream: TableStream,
    notifier: Notifier,
    task: CollectionTask,
}

fn template(kind: NoticeKind) -> String {
    format!("tmpl-{kind}")
}

fn all_templates() -> HashMap<NoticeKind, String> {
    [
        NoticeKind::AutoRejected,
        NoticeKind::Approved,
        NoticeKind::Rejected,
        NoticeKind::Published,
        NoticeKind::Retouching,
        NoticeKind::Retouched,
    ]
    .map(|kind| (kind, template(kind)))
    .into()
}

impl Harness {
    async fn new() -> Self {
        Self::with_templates(all_templates()).await
    }

    async fn with_templates(templates: HashMap<NoticeKind, String>) -> Self {
        let env = TestEnv::new().await;
        let peer = WeChatMessagePeer::start().await;
        let arn = env.stack.table_stream_arn.clone();
        let stream = TableStream::open(&env.sdk, &arn, StartAt::TrimHorizon)
            .await
            .unwrap();
        let task = CollectionTask::create(NewTask {
            session_code: SessionCode::parse("20260001").unwrap(),
            school: "华南理工大学".into(),
            education_level: EducationLevel::Bachelor,
            graduation_year: 2026,
            fee_fen: 3000,
            profile: PhotoProfile::default(),
            print: None,
            opens_at: datetime!(2026-03-01 00:00 UTC),
            closes_at: datetime!(2026-07-01 00:00 UTC),
        })
        .unwrap();
        env.store.table.create_task(&task).await.unwrap();
        let notifier = Notifier {
            store: env.store.clone(),
            wechat: MessageClient::new(peer.config()).with_retry(RETRY),
            settings: Settings {
                templates,
                landing: Landing {
                    page: "pages/case/index".into(),
                    state: MiniProgramState::Trial,
                },
            },
        };
        Self {
            env,
            peer,
            stream,
            notifier,
            task,
        }
    }

    async fn open_case(&self, openid: &str) -> CollectionId {
        let (case, created) = Collection::open(
            self.task.id,
            format!("2022{}", ulid::Ulid::new()),
            openid.into(),
            Actor::Student,
            OffsetDateTime::now_utc(),
        );
        self.env
            .store
            .table
            .open_collection(&case, &created)
            .await
            .unwrap();
        case.id
    }

    /// Applies `commands` in order; returns the version each produced.
    async fn apply(&self, case: CollectionId, commands: Vec<Command>) -> Vec<u64> {
        let mut versions = Vec::new();
        for command in commands {
            let actor = match &command {
                Command::Approve { reviewer } | Command::Reject { reviewer, .. } => {
                    Actor::Reviewer(reviewer.clone())
                }
                _ => Actor::System("test".into()),
            };
            let transition = self
                .env
                .store
                .table
                .transition(case, command, actor, OffsetDateTime::now_utc())
                .await
                .unwrap();
            versions.push(transition.event.version);
        }
        versions
    }

    /// The stream records written since the last read, as Lambda delivers them.
    async fn batch(&mut self) -> Value {
        self.stream.read().await.unwrap()
    }

    async fn handle(&self, batch: &Value) -> Vec<String> {
        let event: StreamEvent = serde_json::from_value(batch.clone()).unwrap();
        self.notifier
            .handle(event)
            .await
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier.unwrap_or_default())
            .collect()
    }

    async fn notices(&self, case: CollectionId) -> Vec<(u64, NoticeKind, NoticeOutcome)> {
        let notices = self.env.store.table.notices(case).await.unwrap();
        notices
            .into_iter()
            .map(|n| (n.version, n.kind, n.outcome))
            .collect()
    }
}

fn pay() -> Command {
    let order_no = format!("GP{}", ulid::Ulid::new());
    Command::ConfirmPayment {
        payment: Payment {
            transaction_id: format!("tx-{order_no}"),
            order_no,
            amount_fen: 3000,
            paid_at: OffsetDateTime::now_utc(),
            print_fen: 0,
        },
    }
}

fn check(attempt_id: AttemptId, reasons: Vec<ReasonCode>) -> Command {
    let outcome = if reasons.is_empty() {
        CheckOutcome::Passed {
            review_flags: vec![],
        }
    } else {
        CheckOutcome::Rejected {
            reasons,
            review_flags: vec![],
        }
    };
    Command::RecordCheck {
        attempt_id,
        outcome,
    }
}

/// A passed photo of a new attempt, submitted for review.
fn passed_and_submitted() -> Vec<Command> {
    let attempt_id = AttemptId::new();
    vec![
        Command::StartAttempt { attempt_id },
        check(attempt_id, vec![]),
        Command::Submit {
            attempt_id,
            face_match: None,
        },
    ]
}

/// Payment and a photo the automatic checks refuse; the last command is the refusal.
fn paid_and_auto_rejected() -> Vec<Command> {
    let attempt_id = AttemptId::new();
    vec![
        pay(),
        Command::StartAttempt { attempt_id },
        check(attempt_id, vec![ReasonCode::Blurry, ReasonCode::Earrings]),
    ]
}

fn reject_with_note() -> Command {
    Command::Reject {
        reviewer: "r1".into(),
        reasons: vec![ReasonCode::Earrings],
        note: Some("请摘下耳饰后重新拍摄".into()),
    }
}

fn keyword(message: &DeliveredMessage, name: &str) -> String {
    message.data[name]["value"].as_str().unwrap().to_owned()
}

/// The sequence number of the record that inserted event `version` of `case`.
fn sequence_number_of_event(batch: &Value, case: CollectionId, version: u64) -> String {
    let (pk, sk) = store::keys::event(case, version);
    batch["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            let image = &r["dynamodb"]["NewImage"];
            image["pk"]["S"] == pk.as_str() && image["sk"]["S"] == sk.as_str()
        })
        .map(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap().to_owned())
        .expect("the event's record is in the batch")
}

#[tokio::test]
async fn refusals_retouching_approval_and_publication_each_send_one_message() {
    let mut h = Harness::new().await;
    let case = h.open_case("o-student").await;
    let batch_id = BatchId::new();
    let mut commands = paid_and_auto_rejected();
    commands.extend(passed_and_submitted());
    commands.push(reject_with_note());
    commands.extend(passed_and_submitted());
    commands.push(Command::SendToRetouch {
        reviewer: "r2".into(),
        note: "衣领偏蓝".into(),
    });
    commands.push(Command::Retouched {
        retoucher: "t1".into(),
        sha256: "ab".repeat(32),
    });
    commands.push(Command::Approve {
        reviewer: "r2".into(),
    });
    commands.push(Command::Batch { batch_id });
    commands.push(Command::AcknowledgePublished { batch_id });
    let versions = h.apply(case, commands).await;
    let batch = h.batch().await;

    assert!(h.handle(&batch).await.is_empty());

    let delivered = h.peer.delivered();
    let expected = [
        (
            NoticeKind::AutoRejected,
            "未通过",
            ReasonCode::Blurry.title_zh(),
        ),
        (NoticeKind::Rejected, "未通过", "请摘下耳饰后重新拍摄"),
        (
            NoticeKind::Retouching,
            "修图中",
            "修图师正在修整照片，无需重拍",
        ),
        (
            NoticeKind::Retouched,
            "修图完成",
            "修图完成，照片已重新进入审核",
        ),
        (NoticeKind::Approved, "已通过", "审核通过，照片将上报学信网"),
        (
            NoticeKind::Published,
            "已上报",
            "照片已上报学信网，可登录学信网核对",
        ),
    ];
    assert_eq!(delivered.len(), expected.len());
    for (message, (kind, result, explanation)) in delivered.iter().zip(expected) {
        assert_eq!(message.touser, "o-student");
        assert_eq!(message.template_id, template(kind));
        assert_eq!(message.page, format!("pages/case/index?id={case}"));
        assert_eq!(message.miniprogram_state, "trial");
        assert_eq!(keyword(message, "thing1"), "华南理工大学 毕业照片采集");
        assert_eq!(keyword(message, "phrase2"), result);
        assert_eq!(keyword(message, "thing3"), explanation);
        assert_eq!(keyword(message, "time4").len(), "2026-06-01 14:30".len());
    }
    // The refusal is the third command; the reviewer's rejection the seventh; then the
    // request to retouch and the retouched photo's return, approval and (after batching)
    // publication.
    let told = [
        versions[2],
        versions[6],
        versions[10],
        versions[11],
        versions[12],
        versions[14],
    ];
    let kinds = expected.map(|(kind, ..)| kind);
    let notices = h.notices(case).await;
    assert_eq!(
        notices,
        told.iter()
            .zip(kinds)
            .map(|(v, k)| (*v, k, NoticeOutcome::Sent))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn payment_uploads_passed_checks_and_submission_send_nothing() {
    let mut h = Harness::new().await;
    let case = h.open_case("o-quiet").await;
    let mut commands = vec![pay()];
    commands.extend(passed_and_submitted());
    h.apply(case, commands).await;
    let batch = h.batch().await;
    assert!(batch["Records"].as_array().unwrap().len() >= 5);

    assert!(h.handle(&batch).await.is_empty());

    assert_eq!(h.peer.attempts(), 0);
    assert!(h.notices(case).await.is_empty());
}

#[tokio::test]
async fn a_student_without_subscription_is_recorded_and_never_retried() {
    let mut h = Harness::new().await;
    let case = h.open_case("o-unsubscribed").await;
    h.peer.refuse("o-unsubscribed");
    let versions = h.apply(case, paid_and_auto_rejected()).await;
    let batch = h.batch().await;

    assert!(h.handle(&batch).await.is_empty());
    assert!(h.handle(&batch).await.is_empty());

    assert_eq!(h.peer.attempts(), 1);
    assert!(h.peer.delivered().is_empty());
    assert_eq!(
        h.notices(case).await,
        [(
            versions[2],
            NoticeKind::AutoRejected,
            NoticeOutcome::NotSubscribed
        )]
    );
}

#[tokio::test]
async fn a_refused_message_is_recorded_with_its_errcode_and_the_stream_goes_on() {
    let mut h = Harness::new().await;
    // WeChat refuses a message without a recipient (40003).
    let nobody = h.open_case("").await;
    let student = h.open_case("o-student").await;
    let refused = h.apply(nobody, paid_and_auto_rejected()).await;
    h.apply(student, paid_and_auto_rejected()).await;
    let batch = h.batch().await;

    assert!(h.handle(&batch).await.is_empty());

    assert_eq!(
        h.notices(nobody).await,
        [(
            refused[2],
            NoticeKind::AutoRejected,
            NoticeOutcome::Refused { errcode: 40003 }
        )]
    );
    let delivered = h.peer.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].touser, "o-student");
}

#[tokio::test]
async fn an_outage_reports_the_record_and_the_redelivery_sends_each_message_once() {
    let mut h = Harness::new().await;
    let case = h.open_case("o-student").await;
    let first = h.apply(case, paid_and_auto_rejected()).await;
    let earlier = h.batch().await;
    assert!(h.handle(&earlier).await.is_empty());
    assert_eq!(h.peer.delivered().len(), 1);

    let mut commands = passed_and_submitted();
    commands.push(reject_with_note());
    let rejected = h.apply(case, commands).await[3];
    let later = h.batch().await;
    // Lambda may hand the already-notified record over again with the new ones.
    let mut records = earlier["Records"].as_array().unwrap().clone();
    records.extend(later["Records"].as_array().unwrap().iter().cloned());
    let batch = serde_json::json!({ "Records": records });

    // WeChat answers 503 to every attempt the client makes.
    h.peer.fail_next(RETRY.attempts as usize);
    assert_eq!(
        h.handle(&batch).await,
        [sequence_number_of_event(&batch, case, rejected)]
    );
    assert_eq!(h.peer.attempts(), 1 + RETRY.attempts as usize);
    assert_eq!(
        h.notices(case).await,
        [(first[2], NoticeKind::AutoRejected, NoticeOutcome::Sent)]
    );

    // WeChat is back; the batch comes again.
    assert!(h.handle(&batch).await.is_empty());
    assert!(h.handle(&batch).await.is_empty());

    let delivered = h.peer.delivered();
    assert_eq!(delivered.len(), 2);
    assert_eq!(delivered[1].template_id, template(NoticeKind::Rejected));
    assert_eq!(h.notices(case).await.len(), 2);
}

#[tokio::test]
async fn a_busy_moment_is_ridden_out_by_the_clients_own_retry() {
    let mut h = Harness::new().await;
    let case = h.open_case("o-student").await;
    h.apply(case, paid_and_auto_rejected()).await;
    let batch = h.batch().await;
    h.peer.busy_next(1);

    assert!(h.handle(&batch).await.is_empty());

    assert_eq!(h.peer.attempts(), 2);
    assert_eq!(h.peer.delivered().len(), 1);
}

#[tokio::test]
async fn a_redelivered_batch_sends_nothing_twice() {
    let mut h = Harness::new().await;
    let case = h.open_case("o-student").await;
    let mut commands = vec![pay()];
    commands.extend(passed_and_submitted());
    commands.push(Command::Approve {
        reviewer: "r1".into(),
    });
    let versions = h.apply(case, commands).await;
    let batch = h.batch().await;

    for _ in 0..3 {
        assert!(h.handle(&batch).await.is_empty());
    }

    assert_eq!(h.peer.attempts(), 1);
    assert_eq!(h.peer.delivered().len(), 1);
    // The first writer of a notice wins; a late second one changes nothing.
    let late = Notice {
        collection_id: case,
        version: versions[4],
        kind: NoticeKind::Approved,
        outcome: NoticeOutcome::NotSubscribed,
        at: OffsetDateTime::now_utc(),
    };
    assert!(!h.env.store.table.record_notice(&late).await.unwrap());
    let kept = h.env.store.table.notice(case, versions[4]).await.unwrap();
    assert_eq!(kept.map(|n| n.outcome), Some(NoticeOutcome::Sent));
}

#[tokio::test]
async fn a_kind_without_a_template_is_not_sent() {
    let mut templates = all_templates();
    templates.remove(&NoticeKind::AutoRejected);
    let mut h = Harness::with_templates(templates).await;
    let case = h.open_case("o-student").await;
    h.apply(case, paid_and_auto_rejected()).await;
    let batch = h.batch().await;

    assert!(h.handle(&batch).await.is_empty());

    assert_eq!(h.peer.attempts(), 0);
    assert!(h.notices(case).await.is_empty());
}

#[tokio::test]
async fn a_reader_opened_at_latest_sees_only_later_writes() {
    let h = Harness::new().await;
    let arn = h.env.stack.table_stream_arn.clone();
    let before = h.open_case("o-before").await;
    let mut latest = TableStream::open(&h.env.sdk, &arn, StartAt::Latest)
        .await
        .unwrap();
    let after = h.open_case("o-after").await;

    let batch: StreamEvent = serde_json::from_value(latest.read().await.unwrap()).unwrap();

    let cases: Vec<String> = batch
        .records
        .iter()
        .map(|r| match r.change.keys.inner().get("pk") {
            Some(serde_dynamo::AttributeValue::S(pk)) => pk.clone(),
            _ => String::new(),
        })
        .collect();
    assert!(cases.contains(&format!("COLLECTION#{after}")));
    assert!(!cases.contains(&format!("COLLECTION#{before}")));
    assert!(batch.records.iter().all(|r| r.event_name == "INSERT"));
    let empty: StreamEvent = serde_json::from_value(latest.read().await.unwrap()).unwrap();
    assert!(empty.records.is_empty());
}
