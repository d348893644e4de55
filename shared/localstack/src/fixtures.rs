//! The commands that bring a case from opened to submitted, as the webhook, the student and the
//! photo processor issue them: for tests and local data that need cases waiting for review.

use domain::{Actor, AttemptId, CheckOutcome, Command, FaceMatch, Payment, ReasonCode};
use time::OffsetDateTime;

/// What the submitted photo was like.
pub struct Submission {
    pub attempt: AttemptId,
    /// The engine's doubts about it.
    pub review_flags: Vec<ReasonCode>,
    pub face_match: Option<FaceMatch>,
}

/// Paid (¥30), an attempt started, processed and passed, and submitted: each command with its
/// actor, in order, for `Collection::apply` or `Table::transition`.
pub fn paid_to_submitted(
    openid: &str,
    submission: Submission,
    at: OffsetDateTime,
) -> Vec<(Command, Actor)> {
    let student = Actor::Student(openid.to_owned());
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
