//! One student's case and its state machine (DESIGN §2).
//!
//! ```text
//! AwaitingPayment ──pay──▶ AwaitingPhoto ──submit(passed attempt)──▶ InReview ──approve──▶ Approved
//!       ▲ refund (before approval)  ▲                                   │
//!       └───────────────────────────┴── reviewer rejects, student withdraws ◀──┘
//! Approved ──batched──▶ Publishing ──acknowledged──▶ Published
//! InReview ──send to retouch──▶ Retouching ──retouched photo checked──▶ InReview
//! ```
//!
//! A refund is asked for first ([`Command::RequestRefund`]) and happens when WeChat Pay says
//! so ([`Command::Refund`], or [`Command::RefundFailed`]). While it is pending the case
//! stays where it is, but takes no new photo, no submission and no approval: the money may be
//! on its way back.
//!
//! [`Collection::apply`] is the only way a case changes. It never mutates: it returns a
//! [`Transition`] holding the next state (version + 1) and the audit [`Event`], which the store
//! writes together with a condition on the old version, so a duplicate or late message can never
//! move a case backwards.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::event::{Actor, Event};
use crate::face::FaceMatch;
use crate::ids::{AttemptId, BatchId, CollectionId, PrintBatchId, TaskId};
use crate::reason::ReasonCode;

mod attempt;
mod ownership;
mod payment;
mod print;
mod publication;
mod retouch;
mod review;
pub use ownership::ErasureBlocked;

/// A case holds at most this many attempts: enough for any honest retake, and a bound on the
/// item size (DynamoDB items stop at 400 KB) and on abuse of paid processing.
pub const MAX_ATTEMPTS: usize = 30;

/// The service promises a reviewer's decision within this long of submission.
pub const REVIEW_PROMISE: time::Duration = time::Duration::hours(48);

/// A reviewer's note is shown to the student in a WeChat message and the mini program.
pub const MAX_NOTE_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionStatus {
    AwaitingPayment,
    AwaitingPhoto,
    InReview,
    /// A reviewer sent the submitted photo to a retoucher; it comes back to review.
    Retouching,
    Approved,
    Publishing,
    Published,
}

impl CollectionStatus {
    pub const ALL: [Self; 7] = [
        Self::AwaitingPayment,
        Self::AwaitingPhoto,
        Self::InReview,
        Self::Retouching,
        Self::Approved,
        Self::Publishing,
        Self::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingPayment => "awaiting_payment",
            Self::AwaitingPhoto => "awaiting_photo",
            Self::InReview => "in_review",
            Self::Retouching => "retouching",
            Self::Approved => "approved",
            Self::Publishing => "publishing",
            Self::Published => "published",
        }
    }

    /// From `Approved` on the photo is locked: only publishing may move the case.
    pub fn is_locked(self) -> bool {
        matches!(self, Self::Approved | Self::Publishing | Self::Published)
    }

    /// Submitted and not decided: with a reviewer, or with a retoucher on the way back to one.
    pub fn is_under_review(self) -> bool {
        matches!(self, Self::InReview | Self::Retouching)
    }
}

impl std::fmt::Display for CollectionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refund asked of WeChat Pay and not yet settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRefund {
    /// Our `out_refund_no`.
    pub refund_no: String,
    /// The order it returns.
    pub order_no: String,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
}

/// How a refund ended without returning the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundFailure {
    /// WeChat Pay closed it (`REFUND.CLOSED`): the payment stands.
    Closed,
    /// WeChat Pay could not return the money (`REFUND.ABNORMAL`, a closed bank card, say): an
    /// operator must settle it by hand, and the payment stands meanwhile.
    Abnormal,
    /// WeChat Pay refused the request itself (insufficient merchant balance, say).
    Refused,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A confirmed payment, as reported by WeChat Pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Our `out_trade_no`: one per case.
    pub order_no: String,
    pub amount_fen: u32,
    /// WeChat Pay's `transaction_id`.
    pub transaction_id: String,
    /// The part of `amount_fen` that pays for printed photos (0: none ordered).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub print_fen: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub paid_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AttemptStatus {
    /// A presigned upload URL was issued; the file may or may not have arrived.
    Uploaded,
    /// The photo processor picked it up.
    Processing,
    /// Standardised and every automatic check passed.
    Passed,
    /// Refused by the automatic checks or by a reviewer, with the reasons the student sees.
    Rejected { reasons: Vec<ReasonCode> },
}

impl AttemptStatus {
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Passed | Self::Rejected { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoAttempt {
    pub id: AttemptId,
    #[serde(flatten)]
    pub status: AttemptStatus,
    /// Checks the engine could not decide reliably; shown to the reviewer, never to refuse.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub review_flags: Vec<ReasonCode>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What the automatic checks concluded about one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CheckOutcome {
    Passed {
        review_flags: Vec<ReasonCode>,
    },
    Rejected {
        reasons: Vec<ReasonCode>,
        review_flags: Vec<ReasonCode>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Rejected {
        reasons: Vec<ReasonCode>,
        note: Option<String>,
    },
}

/// A reviewer's request to retouch the submitted photo, and the retouched photo once it is
/// back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retouch {
    pub attempt_id: AttemptId,
    pub reviewer: String,
    /// What to correct, for the retoucher (and the student's message).
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub asked_at: OffsetDateTime,
    pub retouched: Option<RetouchedPhoto>,
}

/// A retoucher's corrected photo that passed the engine's file and geometry checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetouchedPhoto {
    /// The sha256 (hex) of the JPEG, which names it in the photos bucket.
    pub sha256: String,
    pub retoucher: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Printed photos paid with the case, from printing to delivery. Prints are made of the
/// approved photo only, so a print order moves on while the case is approved, publishing or
/// published, independently of publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintOrder {
    pub price_fen: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printed: Option<Printed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped: Option<Shipment>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
}

/// The print sheet an operator made of the case's photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Printed {
    pub batch_id: PrintBatchId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The parcel the prints went out in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub courier: String,
    pub tracking_no: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Where a print order stands, as the student sees it; in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintStage {
    /// Paid, waiting for an operator's print batch.
    Ordered,
    Printed,
    Shipped,
    Delivered,
}

impl PrintStage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ordered => "ordered",
            Self::Printed => "printed",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
        }
    }
}

impl PrintOrder {
    pub fn stage(&self) -> PrintStage {
        if self.delivered_at.is_some() {
            PrintStage::Delivered
        } else if self.shipped.is_some() {
            PrintStage::Shipped
        } else if self.printed.is_some() {
            PrintStage::Printed
        } else {
            PrintStage::Ordered
        }
    }
}

/// The last reviewer decision on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDecision {
    pub reviewer: String,
    pub attempt_id: AttemptId,
    #[serde(flatten)]
    pub verdict: Verdict,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
}

/// Everything that can happen to a case. Each is recorded verbatim in the audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    ConfirmPayment {
        payment: Payment,
    },
    /// The student or an operator asks for the payment back (before approval only).
    RequestRefund {
        order_no: String,
        refund_no: String,
    },
    /// The refund of the case's payment succeeded; the case must be paid again to go on.
    Refund {
        order_no: String,
    },
    /// The pending refund ended without returning the money; the case goes on as paid.
    RefundFailed {
        refund_no: String,
        failure: RefundFailure,
    },
    StartAttempt {
        attempt_id: AttemptId,
    },
    BeginProcessing {
        attempt_id: AttemptId,
    },
    RecordCheck {
        attempt_id: AttemptId,
        outcome: CheckOutcome,
    },
    /// The student confirms a passed, standardised photo for review. The face match against
    /// the ID-card portrait is decided at that moment and travels with it to the reviewer.
    Submit {
        attempt_id: AttemptId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        face_match: Option<FaceMatch>,
    },
    /// The student takes a submitted photo back before a reviewer holds the case (the store
    /// checks the lease in the same write): the case awaits a photo again, paid.
    Withdraw,
    Approve {
        reviewer: String,
    },
    Reject {
        reviewer: String,
        reasons: Vec<ReasonCode>,
        note: Option<String>,
    },
    /// A reviewer asks a retoucher to correct the submitted photo.
    SendToRetouch {
        reviewer: String,
        note: String,
    },
    /// The retoucher's photo passed the engine's file and geometry checks: back to review.
    Retouched {
        retoucher: String,
        sha256: String,
    },
    Batch {
        batch_id: BatchId,
    },
    /// An operator printed the approved photo on a sheet of `batch_id` (once: a spoilt sheet
    /// is printed again from the same file).
    Printed {
        batch_id: PrintBatchId,
    },
    /// The prints left in a parcel (a corrected tracking number replaces the first).
    Shipped {
        courier: String,
        tracking_no: String,
    },
    /// The parcel arrived: the courier says so, or the student confirms it.
    Delivered,
    AcknowledgePublished {
        batch_id: BatchId,
    },
    /// An operator hands the case from one account to another (the student changed WeChat
    /// accounts and proved who they are); `reason` is the operator's, for the audit trail.
    /// The accounts are not written into the event (the operator's request names them, and
    /// the trail names no student); read back, they are empty.
    Transfer {
        #[serde(default, skip_serializing)]
        from: String,
        #[serde(default, skip_serializing)]
        to: String,
        reason: String,
    },
    /// The student asked for their data to be erased: the case keeps its history and no
    /// longer names its owner (see [`Collection::erasable`]).
    Erase,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Self::ConfirmPayment { .. } => "confirm_payment",
            Self::RequestRefund { .. } => "request_refund",
            Self::Refund { .. } => "refund",
            Self::RefundFailed { .. } => "refund_failed",
            Self::StartAttempt { .. } => "start_attempt",
            Self::BeginProcessing { .. } => "begin_processing",
            Self::RecordCheck { .. } => "record_check",
            Self::Submit { .. } => "submit",
            Self::Withdraw => "withdraw",
            Self::Approve { .. } => "approve",
            Self::Reject { .. } => "reject",
            Self::SendToRetouch { .. } => "send_to_retouch",
            Self::Retouched { .. } => "retouched",
            Self::Batch { .. } => "batch",
            Self::Printed { .. } => "printed",
            Self::Shipped { .. } => "shipped",
            Self::Delivered => "delivered",
            Self::AcknowledgePublished { .. } => "acknowledge_published",
            Self::Transfer { .. } => "transfer",
            Self::Erase => "erase",
        }
    }
}

/// Why a command was refused. Refusals change nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    #[error("{command} is not allowed while the case is {status}")]
    NotAllowed {
        command: &'static str,
        status: CollectionStatus,
    },
    #[error("the case is already paid")]
    AlreadyPaid,
    #[error("this change was already applied")]
    AlreadyApplied,
    #[error("order {order_no} is not the case's payment")]
    OtherOrder { order_no: String },
    #[error("attempt {0} does not belong to this case")]
    UnknownAttempt(AttemptId),
    #[error("attempt {0} already exists")]
    DuplicateAttempt(AttemptId),
    #[error("attempt {0} has not passed the automatic checks")]
    AttemptNotPassed(AttemptId),
    #[error("attempt {0} was already checked")]
    AttemptAlreadyChecked(AttemptId),
    #[error("a case may have at most {max} attempts")]
    TooManyAttempts { max: usize },
    #[error("a rejection needs at least one reason")]
    NoReasons,
    #[error("a request to retouch needs a note saying what to correct")]
    NoNote,
    #[error("the note is longer than {max} characters", max = MAX_NOTE_CHARS)]
    NoteTooLong,
    #[error("batch {given} is not the case's batch")]
    OtherBatch { given: BatchId },
    #[error("a refund of this case is pending")]
    RefundPending,
    #[error("refund {refund_no} is not the case's pending refund")]
    OtherRefund { refund_no: String },
    #[error("the case belongs to another account")]
    OtherOwner,
    #[error("no printed photos were ordered with this case")]
    NoPrintOrder,
    #[error("the prints must be {needed} first")]
    PrintNotReady { needed: &'static str },
    #[error("the student's data cannot be erased now: {}", .0.code())]
    ErasureBlocked(ErasureBlocked),
    #[error("{field} {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
}

impl TransitionError {
    /// True when the command had already taken effect: a redelivered message, which an
    /// at-least-once consumer should acknowledge rather than retry or report.
    pub fn is_duplicate(&self) -> bool {
        matches!(
            self,
            Self::AlreadyApplied | Self::AttemptAlreadyChecked(_) | Self::DuplicateAttempt(_)
        )
    }
}

/// One student's case for one enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    pub id: CollectionId,
    pub task_id: TaskId,
    /// The enrollment this case is for (学号 within the task).
    pub student_number: String,
    /// The WeChat openid of the student who owns the case.
    pub owner: String,
    pub status: CollectionStatus,
    /// Optimistic-concurrency version: 1 at creation, +1 per transition.
    pub version: u64,
    pub payment: Option<Payment>,
    /// A refund asked for and not settled yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_refund: Option<PendingRefund>,
    /// Orders refunded on this case: a late redelivery of their payment notification must not
    /// mark the case paid again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refunded_orders: Vec<String>,
    pub attempts: Vec<PhotoAttempt>,
    pub submitted_attempt: Option<AttemptId>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub submitted_at: Option<OffsetDateTime>,
    /// The submitted photo's face against the ID-card portrait, for the reviewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_match: Option<FaceMatch>,
    pub review: Option<ReviewDecision>,
    /// The submitted photo's retouching, if a reviewer asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retouch: Option<Retouch>,
    /// Printed photos paid with the case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub print: Option<PrintOrder>,
    pub batch_id: Option<BatchId>,
    /// When 学信网 acknowledged the case's batch: what the retention of its data counts from.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The outcome of an accepted command: the case as it must be stored, and its audit event.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub next: Collection,
    pub event: Event,
}

impl Transition {
    /// The version the stored case must still have for this transition to be written.
    pub fn expected_version(&self) -> u64 {
        self.event.version - 1
    }
}

impl Collection {
    /// A new case awaiting payment, with its creation event.
    pub fn open(
        task_id: TaskId,
        student_number: String,
        owner: String,
        actor: Actor,
        at: OffsetDateTime,
    ) -> (Self, Event) {
        let collection = Self {
            id: CollectionId::new(),
            task_id,
            student_number,
            owner,
            status: CollectionStatus::AwaitingPayment,
            version: 1,
            payment: None,
            pending_refund: None,
            refunded_orders: Vec::new(),
            attempts: Vec::new(),
            submitted_attempt: None,
            submitted_at: None,
            face_match: None,
            review: None,
            retouch: None,
            print: None,
            batch_id: None,
            published_at: None,
            created_at: at,
            updated_at: at,
        };
        let event = Event::created(&collection, actor);
        (collection, event)
    }

    pub fn attempt(&self, id: AttemptId) -> Option<&PhotoAttempt> {
        self.attempts.iter().find(|a| a.id == id)
    }

    /// Decides `command` against the current state. Pure: `self` is left as it was.
    ///
    /// What every command shares is done here, once: the refund-pending precondition, the
    /// version, the time of the change and the audit event. Each command's own rules live with
    /// its group, next to this file: `payment.rs`, `attempt.rs` (photo attempts and
    /// submission), `review.rs` and `publication.rs`. There each command reads `self`, writes its
    /// changes into `next` (a copy of `self`), and refuses with `not_allowed()` when the case's
    /// status does not admit it.
    pub fn apply(
        &self,
        command: Command,
        actor: Actor,
        at: OffsetDateTime,
    ) -> Result<Transition, TransitionError> {
        let mut next = self.clone();
        let not_allowed = || TransitionError::NotAllowed {
            command: command.name(),
            status: self.status,
        };
        // Money on its way back: nothing may build on the payment until the refund settles.
        if self.pending_refund.is_some()
            && matches!(
                command,
                Command::StartAttempt { .. } | Command::Submit { .. } | Command::Approve { .. }
            )
        {
            return Err(TransitionError::RefundPending);
        }

        match &command {
            // payment.rs
            Command::ConfirmPayment { payment } => {
                self.confirm_payment(&mut next, payment, not_allowed)
            }
            Command::RequestRefund {
                order_no,
                refund_no,
            } => self.request_refund(&mut next, order_no, refund_no, at, not_allowed),
            Command::RefundFailed { refund_no, .. } => self.refund_failed(&mut next, refund_no),
            Command::Refund { order_no } => self.refund(&mut next, order_no, not_allowed),
            // attempt.rs
            Command::StartAttempt { attempt_id } => {
                self.start_attempt(&mut next, *attempt_id, at, not_allowed)
            }
            Command::BeginProcessing { attempt_id } => {
                self.begin_processing(&mut next, *attempt_id, not_allowed)
            }
            Command::RecordCheck {
                attempt_id,
                outcome,
            } => self.record_check(&mut next, *attempt_id, outcome, not_allowed),
            Command::Submit {
                attempt_id,
                face_match,
            } => self.submit(&mut next, *attempt_id, *face_match, at, not_allowed),
            Command::Withdraw => self.withdraw(&mut next, not_allowed),
            // review.rs
            Command::Approve { reviewer } => self.approve(&mut next, reviewer, at, not_allowed),
            Command::Reject {
                reviewer,
                reasons,
                note,
            } => self.reject(&mut next, reviewer, reasons, note, at, not_allowed),
            // retouch.rs
            Command::SendToRetouch { reviewer, note } => {
                self.send_to_retouch(&mut next, reviewer, note, at, not_allowed)
            }
            Command::Retouched { retoucher, sha256 } => {
                self.retouched(&mut next, retoucher, sha256, at, not_allowed)
            }
            // print.rs
            Command::Printed { batch_id } => self.printed(&mut next, *batch_id, at, not_allowed),
            Command::Shipped {
                courier,
                tracking_no,
            } => self.shipped(&mut next, courier, tracking_no, at),
            Command::Delivered => self.delivered(&mut next, at),
            // publication.rs
            Command::Batch { batch_id } => self.batch(&mut next, *batch_id, not_allowed),
            Command::AcknowledgePublished { batch_id } => {
                self.acknowledge_published(&mut next, *batch_id, at, not_allowed)
            }
            // ownership.rs
            Command::Transfer { from, to, .. } => self.transfer(&mut next, from, to, not_allowed),
            Command::Erase => self.erase(&mut next),
        }?;

        next.version = self.version + 1;
        next.updated_at = at;
        let event = Event::of_transition(self, &next, command, actor, at);
        Ok(Transition { next, event })
    }

    fn attempt_mut(&mut self, id: AttemptId) -> Result<&mut PhotoAttempt, TransitionError> {
        self.attempts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or(TransitionError::UnknownAttempt(id))
    }
}
