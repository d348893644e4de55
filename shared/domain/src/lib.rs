//! The domain of graduate photo collection (毕业生图像采集): entities, the collection state
//! machine, reason codes and ID numbers. Pure: no I/O, no AWS, no clock (callers pass `now`).

pub mod address;
pub mod china;
pub mod collection;
pub mod enrollment;
pub mod event;
pub mod face;
pub mod id_card;
pub mod id_number;
pub mod ids;
pub mod lease;
pub mod payment;
pub mod privacy;
pub mod reason;
pub mod retention;
pub mod student;
pub mod task;
pub mod text;

pub use address::PostalAddress;
pub use collection::{
    AttemptStatus, CheckOutcome, Collection, CollectionStatus, Command, ErasureBlocked, Payment,
    PendingRefund, PhotoAttempt, PrintOrder, PrintStage, Printed, RefundFailure, Retouch,
    RetouchedPhoto, ReviewDecision, Shipment, Transition, TransitionError, Verdict,
};
pub use enrollment::{Enrollment, RosterRow, validate_chsi_code};
pub use event::{Actor, Event};
pub use face::{FaceGap, FaceMatch};
pub use id_card::{CardCheck, CardProblem, CardText};
pub use id_number::{IdNumber, IdNumberError, LastFour, mask_name};
pub use ids::{AttemptId, BatchId, CollectionId, InvalidId, PortraitId, PrintBatchId, TaskId};
pub use lease::{LEASE_TTL, Lease};
pub use payment::{
    AnomalyKind, OrderStatus, PaymentAnomaly, PaymentOrder, RefundRecord, RefundStatus,
};
pub use reason::{ReasonCode, Region};
pub use student::{BatchStatus, Portrait, PortraitStatus, PublishBatch, Student, VerifiedIdentity};
pub use task::{
    Background, CollectionTask, EducationLevel, NewTask, PhotoProfile, PrintOffer, Session,
    SessionCode,
};

/// A value an operator or student supplied is not acceptable. `field` names the input and
/// `problem` says what is wrong with it, never repeating the (possibly personal) value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct ValidationError {
    pub field: &'static str,
    pub problem: String,
}

impl ValidationError {
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}
