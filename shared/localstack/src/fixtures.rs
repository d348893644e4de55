//! What tests and local data keep needing: a collection task open now, and the commands that
//! bring a case from opened to submitted as the webhook, the student and the photo processor
//! issue them.

use domain::{
    Actor, AttemptId, CheckOutcome, Collection, CollectionId, CollectionTask, Command,
    EducationLevel, FaceMatch, NewTask, OrderStatus, Payment, PaymentOrder, PhotoProfile,
    PrintOffer, ReasonCode, SessionCode, TaskId,
};
use time::{Duration, OffsetDateTime};

/// A ¥30 task of 华南理工大学 at `level`, open from yesterday for 30 days, with a session code of
/// its own; stored in `table`.
pub async fn open_task(table: &store::Table, level: EducationLevel) -> CollectionTask {
    let now = OffsetDateTime::now_utc();
    let code = format!("{:08}", ulid::Ulid::new().random() % 100_000_000);
    let task = CollectionTask::create(NewTask {
        session_code: SessionCode::parse(&code).expect("eight digits"),
        school: "华南理工大学".into(),
        education_level: level,
        graduation_year: 2026,
        fee_fen: 3000,
        profile: PhotoProfile::default(),
        // Prints are offered, so the demo and the journey can order them.
        print: Some(PrintOffer {
            price_fen: 1500,
            width_mm: 33,
            height_mm: 48,
        }),
        opens_at: now - Duration::days(1),
        closes_at: now + Duration::days(30),
    })
    .expect("a valid task");
    table.create_task(&task).await.expect("the task is stored");
    task
}

/// A case of student `student_no` (WeChat `openid`) opened and paid ¥30 at `at` as the
/// webhook leaves one: its order paid, then the case's payment; stored in `table`.
pub async fn paid_case(
    table: &store::Table,
    student_no: &str,
    openid: &str,
    at: OffsetDateTime,
) -> Collection {
    let (case, created) = Collection::open(
        TaskId::new(),
        student_no.into(),
        openid.into(),
        Actor::Student,
        at,
    );
    table
        .open_collection(&case, &created)
        .await
        .expect("opened");
    let mut order = PaymentOrder::new(case.id, openid.into(), 3000, "毕业照".into(), at);
    order.status = OrderStatus::Paid;
    order.transaction_id = Some(format!(
        "4200{}",
        ulid::Ulid::new().random() % 10_000_000_000
    ));
    table.place_order(&order, None).await.expect("the order");
    let payment = Payment {
        order_no: order.order_no.clone(),
        amount_fen: order.amount_fen,
        transaction_id: order.transaction_id.clone().unwrap_or_default(),
        paid_at: at,
        print_fen: 0,
    };
    let pay = Command::ConfirmPayment { payment };
    let paid = table
        .transition(case.id, pay, Actor::PaymentProvider, at)
        .await;
    paid.expect("paid").next
}

/// An attempt started on `case` at `at`, as the student starts one.
pub async fn start_attempt(
    table: &store::Table,
    case: CollectionId,
    at: OffsetDateTime,
) -> AttemptId {
    let attempt_id = AttemptId::new();
    let start = Command::StartAttempt { attempt_id };
    let started = table.transition(case, start, Actor::Student, at).await;
    started.expect("an attempt");
    attempt_id
}

/// What the submitted photo was like.
pub struct Submission {
    pub attempt: AttemptId,
    /// The engine's doubts about it.
    pub review_flags: Vec<ReasonCode>,
    pub face_match: Option<FaceMatch>,
}

/// Paid (¥30), an attempt started, processed and passed, and submitted: each command with its
/// actor, in order, for `Collection::apply` or `Table::transition`.
pub fn paid_to_submitted(submission: Submission, at: OffsetDateTime) -> Vec<(Command, Actor)> {
    let student = Actor::Student;
    let processor = Actor::System("photo-processor".into());
    let attempt_id = submission.attempt;
    let order = ulid::Ulid::new();
    vec![
        (
            Command::ConfirmPayment {
                payment: Payment {
                    order_no: format!("GP{order}"),
                    amount_fen: 3000,
                    transaction_id: format!("4200{}", order.random() % 10_000_000_000),
                    paid_at: at,
                    print_fen: 0,
                },
            },
            Actor::PaymentProvider,
        ),
        (Command::StartAttempt { attempt_id }, student.clone()),
        (Command::BeginProcessing { attempt_id }, processor.clone()),
        (
            Command::RecordCheck {
                attempt_id,
                outcome: CheckOutcome::Passed {
                    review_flags: submission.review_flags,
                },
            },
            processor,
        ),
        (
            Command::Submit {
                attempt_id,
                face_match: submission.face_match,
            },
            student,
        ),
    ]
}

/// Brings the stored case `case` through `steps` ([`store::Table::transition`]), recording
/// `checked` with the verdict as the photo processor does, and `matched` (the portrait the
/// face match was computed against) with the submission as the API does; the last state.
pub async fn live_through(
    table: &store::Table,
    case: domain::CollectionId,
    steps: Vec<(Command, Actor)>,
    checked: &store::Checked,
    matched: Option<&store::PortraitChecked>,
    at: OffsetDateTime,
) -> domain::Collection {
    let mut last = None;
    for (command, actor) in steps {
        let evidence = [store::Along::Evidence(checked)];
        let submission: Vec<store::Along<'_>> = matched
            .map(|portrait| store::Along::MatchedPortrait {
                attempt: checked.attempt,
                portrait,
            })
            .into_iter()
            .collect();
        let along: &[store::Along<'_>] = match command {
            Command::RecordCheck { .. } => &evidence,
            Command::Submit { .. } => &submission,
            _ => &[],
        };
        let t = table
            .transition_along(case, command, actor, at, along)
            .await
            .expect("each step applies");
        last = Some(t.next);
    }
    last.expect("at least one step")
}
