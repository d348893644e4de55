//! What the API shows of a case: everything the student needs to act on, with personal data
//! masked. Built from the domain types, so the stored shape can change without the clients
//! noticing.

use domain::{
    AttemptStatus, Collection, CollectionStatus, CollectionTask, Enrollment, PhotoAttempt,
    ReasonCode, Region, Verdict, mask_name,
};
use serde::Serialize;
use store::PresignedGet;
use time::OffsetDateTime;

pub use web::ReasonView;

fn reasons(codes: &[ReasonCode]) -> Vec<ReasonView> {
    codes.iter().copied().map(ReasonView::from).collect()
}

#[derive(Debug, Serialize)]
pub struct TaskSummary {
    pub id: String,
    pub school: String,
    pub education_level: domain::EducationLevel,
    pub education_level_zh: &'static str,
    pub graduation_year: u16,
    pub fee_fen: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub closes_at: OffsetDateTime,
}

impl From<&CollectionTask> for TaskSummary {
    fn from(t: &CollectionTask) -> Self {
        Self {
            id: t.id.to_string(),
            school: t.school.clone(),
            education_level: t.education_level,
            education_level_zh: t.education_level.name_zh(),
            graduation_year: t.graduation_year,
            fee_fen: t.fee_fen,
            closes_at: t.closes_at,
        }
    }
}

/// The roster row, masked: enough for the student to recognise it as theirs.
#[derive(Debug, Serialize)]
pub struct EnrollmentView {
    pub student_number: String,
    pub name: String,
    pub id_number: String,
    pub major: String,
}

impl From<&Enrollment> for EnrollmentView {
    fn from(e: &Enrollment) -> Self {
        Self {
            student_number: e.student_number.clone(),
            name: mask_name(&e.name),
            id_number: e.id_number.masked(),
            major: e.major.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AttemptView {
    pub id: String,
    /// `uploaded`, `processing`, `passed` or `rejected`.
    pub status: &'static str,
    /// Why it was refused, with what to do about it (empty unless rejected).
    pub reasons: Vec<ReasonView>,
    /// A passed photo as standardised, for its owner to see before confirming it (a
    /// presigned GET of five minutes; only in the owner's view of one case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standardised: Option<PresignedGet>,
    /// The upload as the student took it, small: beside the standardised photo, or under the
    /// regions of `point_at` (a presigned GET of five minutes; only in the owner's view).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<PresignedGet>,
    /// For a refused photo, where on it each reason that sits in one place is (only in the
    /// owner's view of one case), for the client to draw.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub point_at: Vec<PointAt>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&PhotoAttempt> for AttemptView {
    fn from(a: &PhotoAttempt) -> Self {
        let (status, codes): (_, &[ReasonCode]) = match &a.status {
            AttemptStatus::Uploaded => ("uploaded", &[]),
            AttemptStatus::Processing => ("processing", &[]),
            AttemptStatus::Passed => ("passed", &[]),
            AttemptStatus::Rejected { reasons } => ("rejected", reasons),
        };
        Self {
            id: a.id.to_string(),
            status,
            reasons: reasons(codes),
            standardised: None,
            preview: None,
            point_at: Vec::new(),
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PaymentView {
    pub amount_fen: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub paid_at: OffsetDateTime,
}

/// The reviewer's decision as the student sees it (the reviewer stays anonymous).
#[derive(Debug, Serialize)]
pub struct ReviewView {
    pub attempt_id: String,
    /// `approved` or `rejected`.
    pub verdict: &'static str,
    pub reasons: Vec<ReasonView>,
    pub note: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
}

#[derive(Debug, Serialize)]
pub struct PublishingView {
    pub batch_id: Option<String>,
    /// True once 学信网 acknowledged the batch: "采集成功，学信网可查".
    pub published: bool,
}

/// Where a reason's problem is on the photo: boxes `{x, y, w, h}` in fractions of the upload's
/// width and height, as the engine's report gives them.
#[derive(Debug, Serialize)]
pub struct PointAt {
    pub code: ReasonCode,
    pub region: Region,
    pub areas: serde_json::Value,
}

/// How many cases of the task wait ahead in review, and when the decision is promised.
#[derive(Debug, Serialize)]
pub struct InReviewView {
    pub queue_ahead: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub decision_due: OffsetDateTime,
}

/// Printed photos: what the task offers, the order paid with the case and where it stands,
/// and the address they go to (in full to its owner, masked to operators).
#[derive(Debug, Serialize)]
pub struct PrintView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<domain::PrintOffer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<PrintOrderView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<domain::PostalAddress>,
}

#[derive(Debug, Serialize)]
pub struct PrintOrderView {
    /// `ordered`, `printed`, `shipped` or `delivered`.
    pub stage: domain::PrintStage,
    pub price_fen: u32,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub printed_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipped: Option<domain::Shipment>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
}

impl PrintView {
    pub fn of_order(case: &Collection) -> Option<PrintOrderView> {
        case.print.as_ref().map(|p| PrintOrderView {
            stage: p.stage(),
            price_fen: p.price_fen,
            printed_at: p.printed.as_ref().map(|p| p.at),
            shipped: p.shipped.clone(),
            delivered_at: p.delivered_at,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct CaseView {
    pub id: String,
    pub status: CollectionStatus,
    /// What the student should do now: `pay`, `upload`, `submit`, `wait_for_review`,
    /// `wait_for_retouch`, `wait_for_publishing` or `done`.
    pub next_step: &'static str,
    pub task: TaskSummary,
    pub enrollment: EnrollmentView,
    pub payment: Option<PaymentView>,
    pub attempts: Vec<AttemptView>,
    pub submitted_attempt: Option<String>,
    pub review: Option<ReviewView>,
    pub publishing: PublishingView,
    /// Where a case in review stands, for its owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_review: Option<InReviewView>,
    /// The approved photo, for its owner to download (a presigned GET of five minutes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_photo: Option<PresignedGet>,
    /// Present where the task offers prints or the case has some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub print: Option<PrintView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl CaseView {
    pub fn new(case: &Collection, task: &CollectionTask, enrollment: &Enrollment) -> Self {
        let next_step = match case.status {
            CollectionStatus::AwaitingPayment => "pay",
            CollectionStatus::AwaitingPhoto
                if case
                    .attempts
                    .iter()
                    .any(|a| a.status == AttemptStatus::Passed) =>
            {
                "submit"
            }
            CollectionStatus::AwaitingPhoto => "upload",
            CollectionStatus::InReview => "wait_for_review",
            CollectionStatus::Retouching => "wait_for_retouch",
            CollectionStatus::Approved | CollectionStatus::Publishing => "wait_for_publishing",
            CollectionStatus::Published => "done",
        };
        Self {
            id: case.id.to_string(),
            status: case.status,
            next_step,
            task: task.into(),
            enrollment: enrollment.into(),
            payment: case.payment.as_ref().map(|p| PaymentView {
                amount_fen: p.amount_fen,
                paid_at: p.paid_at,
            }),
            attempts: case.attempts.iter().map(AttemptView::from).collect(),
            submitted_attempt: case.submitted_attempt.map(|a| a.to_string()),
            review: case.review.as_ref().map(|r| {
                let (verdict, codes, note): (_, &[ReasonCode], _) = match &r.verdict {
                    Verdict::Approved => ("approved", &[], None),
                    Verdict::Rejected { reasons, note } => ("rejected", reasons, note.clone()),
                };
                ReviewView {
                    attempt_id: r.attempt_id.to_string(),
                    verdict,
                    reasons: reasons(codes),
                    note,
                    decided_at: r.decided_at,
                }
            }),
            publishing: PublishingView {
                batch_id: case.batch_id.map(|b| b.to_string()),
                published: case.status == CollectionStatus::Published,
            },
            in_review: None,
            approved_photo: None,
            print: (task.print.is_some() || case.print.is_some()).then(|| PrintView {
                offer: task.print,
                order: PrintView::of_order(case),
                address: None,
            }),
            created_at: case.created_at,
            updated_at: case.updated_at,
        }
    }
}

/// A request to the operators as its student sees it: its number to quote to the school or
/// support, and what happens next. Says nothing of the account or record it names.
#[derive(Debug, Serialize)]
pub struct RequestView {
    pub request_id: String,
    /// `transfer`, `link` or `erasure`.
    pub kind: &'static str,
    pub status: store::RequestStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub message_zh: &'static str,
    pub message_en: &'static str,
}

impl RequestView {
    pub fn of(request: &store::OperatorRequest) -> Self {
        Self {
            request_id: request.id.clone(),
            kind: match request.kind {
                store::RequestKind::Transfer { .. } => "transfer",
                store::RequestKind::Link { .. } => "link",
                store::RequestKind::Erasure { .. } => "erasure",
            },
            status: request.status,
            created_at: request.created_at,
            message_zh: match request.status {
                store::RequestStatus::Pending => {
                    "申请已提交。请联系学校或客服并告知申请编号，工作人员核实您的身份后处理"
                }
                store::RequestStatus::Approved => "此申请已获批准，将在一小时内处理完毕",
                store::RequestStatus::Done => "已处理完毕",
                store::RequestStatus::Refused => {
                    "此申请未获批准。如有疑问，请联系学校或客服并告知申请编号"
                }
            },
            message_en: match request.status {
                store::RequestStatus::Pending => {
                    "Your request is filed. Contact your school or our support with its number; staff will decide once they have checked who you are"
                }
                store::RequestStatus::Approved => {
                    "This request was approved and will be carried out within the hour"
                }
                store::RequestStatus::Done => "Done",
                store::RequestStatus::Refused => {
                    "This request was refused. If you think that is wrong, contact your school or our support with its number"
                }
            },
        }
    }
}
