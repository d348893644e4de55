//! What a student asks an operator to decide (DESIGN §2): the move of a verified identity to
//! another account (a student who changed WeChat accounts), and a link to a roster row whose
//! ID number is not the student's verified one (a school's typo). Only an operator, who checks
//! who the student is outside the service, approves or refuses; the request keeps who decided,
//! when and why. A request is named by what it asks, so asking twice is one request.

use aws_sdk_dynamodb::types::TransactWriteItem;
use domain::{
    Actor, Collection, CollectionId, Command, Enrollment, Student, TaskId, TransitionError,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::collections::case_of_enrollment_item;
use crate::keys::{self, GSI1, GSI1_PK, GSI1_SK};
use crate::table::{ABSENT, Item, Query, Table, Transact, from_record, record, s};

const ENTITY: &str = "operator_request";
/// The index space request ids are derived in.
const REQUEST_INDEX: &str = "operator_request";
/// The most pending requests one listing returns, oldest first.
const LISTED: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RequestKind {
    /// Account `to` asks for the verified identity account `from` holds, with its cases.
    Transfer { from: String, to: String },
    /// Verified account `openid` asks for the row of `student_number` in `task_id`, whose name
    /// is theirs and whose ID number is not.
    Link {
        openid: String,
        task_id: TaskId,
        student_number: String,
    },
    /// Account `openid` asks for its personal data to be erased (PIPL Art. 47); approved, the
    /// purger carries it out, and `openid` is cleared from the request when it is done.
    Erasure { openid: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Refused,
    /// Carried out (an erasure, by the purger, after its approval).
    Done,
}

/// An operator's decision on a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDecision {
    pub by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRequest {
    pub id: String,
    pub kind: RequestKind,
    pub status: RequestStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub decision: Option<RequestDecision>,
    /// An erasure's progress, once the purger took it up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erasure: Option<crate::erasure::ErasureProgress>,
}

/// Why an approval wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    /// The request was decided already (by someone else, or a second click).
    #[error("the request was decided already")]
    Decided,
    /// Account `from` no longer holds a verified identity to hand over.
    #[error("nothing to hand over")]
    NothingToTransfer,
    /// The receiving account verified an identity or opened a case of its own meanwhile.
    #[error("the receiving account is not empty")]
    ReceiverNotEmpty,
    /// A case cannot change hands now (one in review waits for its decision).
    #[error(transparent)]
    Case(#[from] TransitionError),
    /// The requester is no longer verified, or the row already has a case.
    #[error("the link can no longer be made")]
    LinkGone,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Table {
    /// Files `kind` as a pending request and returns it; a request asking the same that was
    /// filed before is returned as it stands (pending or decided): a decision is never
    /// overwritten, so the record of who decided what stays.
    pub async fn ask_operator(
        &self,
        kind: RequestKind,
        at: OffsetDateTime,
    ) -> Result<OperatorRequest, StoreError> {
        let named = serde_json::to_string(&kind).map_err(StoreError::request)?;
        let id = self.pii()?.blind_index(REQUEST_INDEX, &named)[..26].to_uppercase();
        let request = OperatorRequest {
            id: id.clone(),
            kind,
            status: RequestStatus::Pending,
            created_at: at,
            decision: None,
            erasure: None,
        };
        let put = self.put(self.request_item(&request)?, ABSENT, &[], &[])?;
        match self.transact(vec![put]).await {
            Ok(()) => Ok(request),
            Err(Transact::ConditionFailed(_)) => self.operator_request(&id).await,
            Err(Transact::Failed(e)) => Err(e),
        }
    }

    pub async fn operator_request(&self, id: &str) -> Result<OperatorRequest, StoreError> {
        self.load(ENTITY, keys::operator_request(id), id).await
    }

    /// Requests waiting for an operator, oldest first.
    pub async fn pending_requests(&self) -> Result<Vec<OperatorRequest>, StoreError> {
        self.query(Query {
            index: Some(GSI1),
            partition: (GSI1_PK, keys::PENDING_REQUESTS.to_owned()),
            sort_prefix: None,
            sort_below: None,
            limit: Some(LISTED),
            newest_first: false,
        })
        .await?
        .into_iter()
        .map(|item| from_record(ENTITY, item))
        .collect()
    }

    /// Refuses a pending request; nothing else changes.
    pub async fn refuse_request(
        &self,
        request: &OperatorRequest,
        decision: RequestDecision,
    ) -> Result<OperatorRequest, ApproveError> {
        still_pending(request)?;
        let decided = decided(request, RequestStatus::Refused, decision);
        self.write_decided(vec![self.decided_put(&decided)?], request)
            .await?;
        Ok(decided)
    }

    /// Approves a transfer: the identity, its portrait and every case of `from` go to `to`,
    /// all in one transaction with the decision; `from` keeps nothing. Returns the cases moved.
    pub async fn approve_transfer(
        &self,
        request: &OperatorRequest,
        decision: RequestDecision,
    ) -> Result<Vec<CollectionId>, ApproveError> {
        let RequestKind::Transfer { from, to } = &request.kind else {
            return Err(StoreError::Invalid("not a transfer").into());
        };
        still_pending(request)?;
        let holder = self.student(from).await?;
        let Some(identity) = holder.as_ref().and_then(|h| h.identity.clone()) else {
            return Err(ApproveError::NothingToTransfer);
        };
        let receiver = self.student(to).await?;
        let (cases, theirs) =
            futures_util::future::try_join(self.collections_of(from), self.collections_of(to))
                .await?;
        if receiver.as_ref().is_some_and(|r| r.identity.is_some()) || !theirs.is_empty() {
            return Err(ApproveError::ReceiverNotEmpty);
        }
        let portrait = holder.and_then(|h| h.portrait);
        let moved = Student {
            openid: to.clone(),
            identity: Some(identity),
            portrait: portrait.clone(),
        };
        let (mut to_item, blind) = self.student_item(&moved)?;
        let blind = blind.expect("an identity is blind-indexed");
        // The cases' holds on the portrait travel with it.
        if let Some(holds) = self.portrait_holds(from).await? {
            to_item.insert(crate::students::PORTRAIT_HOLDS.into(), holds);
        }
        let (from_item, _) = self.student_item(&Student {
            openid: from.clone(),
            identity: None,
            portrait: None,
        })?;
        let index = keys::id_number_index(&blind);
        let mut items = vec![
            self.put(
                to_item,
                "attribute_not_exists(#index)",
                &[("#index", keys::GSI2_PK)],
                &[],
            )?,
            self.put(
                from_item,
                "#index = :index",
                &[("#index", keys::GSI2_PK)],
                &[(":index", s(&index))],
            )?,
            self.put(
                self.identity_owner_item(&blind, to)?,
                "#openid = :from",
                &[("#openid", "openid")],
                &[(":from", s(from))],
            )?,
            self.decided_put(&decided(request, RequestStatus::Approved, decision.clone()))?,
        ];
        if let Some(portrait) = &portrait {
            items.push(self.portrait_owner_moved(portrait.id, from, to)?);
        }
        let actor = Actor::Operator(decision.by.clone());
        for case in &cases {
            let transition = case.apply(
                Command::Transfer {
                    from: from.clone(),
                    to: to.clone(),
                    reason: decision.reason.clone(),
                },
                actor.clone(),
                decision.at,
            )?;
            items.extend(self.transition_items(&transition)?);
            items.push(self.put(
                case_of_enrollment_item(&transition.next)?,
                "attribute_exists(#pk)",
                &[("#pk", keys::PK)],
                &[],
            )?);
        }
        self.write_decided(items, request).await?;
        Ok(cases.iter().map(|c| c.id).collect())
    }

    /// Approves a link: the row's ID number becomes the requester's verified one (the school's
    /// typo corrected) and the case is opened for them, with the decision, in one transaction.
    pub async fn approve_link(
        &self,
        request: &OperatorRequest,
        decision: RequestDecision,
    ) -> Result<Collection, ApproveError> {
        let RequestKind::Link {
            openid,
            task_id,
            student_number,
        } = &request.kind
        else {
            return Err(StoreError::Invalid("not a link").into());
        };
        still_pending(request)?;
        let Some(identity) = self.student(openid).await?.and_then(|s| s.identity) else {
            return Err(ApproveError::LinkGone);
        };
        let row = self.enrollment(*task_id, student_number).await?;
        let corrected = Enrollment {
            id_number: identity.id_number.clone(),
            ..row
        };
        let (case, created) = Collection::open(
            *task_id,
            student_number.clone(),
            openid.clone(),
            Actor::Operator(decision.by.clone()),
            decision.at,
        );
        let items = vec![
            self.put(
                self.enrollment_item(&corrected)?,
                "attribute_exists(#pk)",
                &[("#pk", keys::PK)],
                &[],
            )?,
            self.put(case_of_enrollment_item(&case)?, ABSENT, &[], &[])?,
            self.put(self.collection_item(&case)?, ABSENT, &[], &[])?,
            self.put(self.event_item(&created)?, ABSENT, &[], &[])?,
            self.decided_put(&decided(request, RequestStatus::Approved, decision))?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(case),
            // The row has a case already: someone linked it meanwhile.
            Err(Transact::ConditionFailed(failed)) if failed.get(1) == Some(&true) => {
                Err(ApproveError::LinkGone)
            }
            Err(failure) => Err(self.why_not_decided(failure, request).await),
        }
    }

    /// A request as stored, in the `gsi1` list of whoever acts on it next: operators for a
    /// pending one, the purger for an approved erasure; a done erasure in the list operators
    /// see them done in.
    pub(crate) fn request_item(&self, request: &OperatorRequest) -> Result<Item, StoreError> {
        let mut item = record(ENTITY, keys::operator_request(&request.id), request)?;
        let erasure = matches!(request.kind, RequestKind::Erasure { .. });
        let listed = match request.status {
            RequestStatus::Pending => Some((keys::PENDING_REQUESTS, request.created_at)),
            RequestStatus::Approved if erasure => {
                Some((keys::APPROVED_ERASURES, request.created_at))
            }
            RequestStatus::Done => request
                .erasure
                .as_ref()
                .and_then(|e| e.done.as_ref())
                .map(|done| (keys::DONE_ERASURES, done.at)),
            _ => None,
        };
        if let Some((list, at)) = listed {
            item.insert(GSI1_PK.into(), s(list));
            let millis = at.unix_timestamp_nanos() / 1_000_000;
            item.insert(GSI1_SK.into(), s(format!("{millis:015}#{}", request.id)));
        }
        Ok(item)
    }

    /// The decided request, written only while it is still pending.
    pub(crate) fn decided_put(
        &self,
        decided: &OperatorRequest,
    ) -> Result<TransactWriteItem, StoreError> {
        self.put(
            self.request_item(decided)?,
            "#status = :pending",
            &[("#status", "status")],
            &[(":pending", s("pending"))],
        )
    }

    /// Writes a decision with what it brings, or says why it could not.
    pub(crate) async fn write_decided(
        &self,
        items: Vec<TransactWriteItem>,
        request: &OperatorRequest,
    ) -> Result<(), ApproveError> {
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) => Err(self.why_not_decided(failure, request).await),
        }
    }

    /// A decided request is [`ApproveError::Decided`]; any other failed condition means the
    /// accounts or cases changed while the operator decided: a conflict, to try again.
    async fn why_not_decided(&self, failure: Transact, request: &OperatorRequest) -> ApproveError {
        if let Transact::Failed(e) = failure {
            return e.into();
        }
        match self.operator_request(&request.id).await {
            Ok(now) if now.status != RequestStatus::Pending => ApproveError::Decided,
            Ok(_) => StoreError::Conflict {
                entity: ENTITY,
                id: request.id.clone(),
                expected: 0,
            }
            .into(),
            Err(e) => e.into(),
        }
    }
}

/// A request read as decided is answered at once; one decided since is caught by the
/// decision's condition.
pub(crate) fn still_pending(request: &OperatorRequest) -> Result<(), ApproveError> {
    match request.status {
        RequestStatus::Pending => Ok(()),
        _ => Err(ApproveError::Decided),
    }
}

pub(crate) fn decided(
    request: &OperatorRequest,
    status: RequestStatus,
    decision: RequestDecision,
) -> OperatorRequest {
    OperatorRequest {
        status,
        decision: Some(decision),
        ..request.clone()
    }
}
