//! A student's erasure of their personal data (PIPL Art. 47, DESIGN §3): the student asks, an
//! operator approves, the purger carries it out (it holds the rights to delete and no key to
//! read what it deletes). The request records the cases it took up before erasing any, so a
//! run that stops half way is finished by the next; once done, it no longer names the student.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use domain::{Actor, Collection, CollectionId, Command, ErasureBlocked, Portrait, Transition};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::collections::{UpdateError, case_of_enrollment_item};
use crate::keys::{self, GSI1, GSI1_PK, GSI2_PK, PK, SK};
use crate::requests::{RequestDecision, RequestKind, RequestStatus, decided, still_pending};
use crate::table::{ABSENT, Query, Table, Transact, from_record, record, s};
use crate::{ApproveError, OperatorRequest, StoreError};

const POINTER: &str = "erasure pointer";
/// The most erasures one listing returns.
const LISTED: usize = 200;

/// How far the purger got with an erasure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureProgress {
    /// The student's cases, recorded before the first is erased (an erased case leaves the
    /// owners' index, so a second run would not find it there).
    pub cases: Vec<CollectionId>,
    /// Why the last run could not go on: the student submitted a photo meanwhile, say. The
    /// purger tries again on its next run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<ErasureBlocked>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<Erased>,
}

/// What an erasure deleted, counted (never what it was).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erased {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub cases: u64,
    pub objects: u64,
    pub items: u64,
}

#[derive(Serialize, Deserialize)]
struct Pointer {
    request_id: String,
}

/// What of a student's record the purger needs, read without the personal-data key.
#[derive(Debug, Default)]
pub struct Footprint {
    /// The blind index of the verified ID number (it keys the identity's owner item).
    pub identity_index: Option<String>,
    pub portrait: Option<Portrait>,
}

#[derive(Deserialize)]
struct PortraitOnly {
    portrait: Option<Portrait>,
}

impl Table {
    /// Files `openid`'s request for erasure, or returns the one pending or approved. A refused
    /// request's pointer is taken over by the new one (under a condition naming the refused
    /// one, so two requests at once file one).
    pub async fn ask_erasure(
        &self,
        openid: &str,
        at: OffsetDateTime,
    ) -> Result<OperatorRequest, StoreError> {
        let request = OperatorRequest {
            id: ulid::Ulid::new().to_string(),
            kind: RequestKind::Erasure {
                openid: openid.to_owned(),
            },
            status: RequestStatus::Pending,
            created_at: at,
            decision: None,
            erasure: None,
        };
        let pointer = record(
            POINTER,
            keys::erasure_of_student(openid),
            &Pointer {
                request_id: request.id.clone(),
            },
        )?;
        let pointer = match self.erasure_asked(openid).await? {
            None => self.put(pointer, ABSENT, &[], &[])?,
            Some(asked) if asked.status != RequestStatus::Refused => return Ok(asked),
            Some(refused) => self.put(
                pointer,
                "#request = :refused",
                &[("#request", "request_id")],
                &[(":refused", s(refused.id))],
            )?,
        };
        let items = vec![
            pointer,
            self.put(self.request_item(&request)?, ABSENT, &[], &[])?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(request),
            // Another request was filed meanwhile: that one stands.
            Err(Transact::ConditionFailed(_)) => {
                self.erasure_asked(openid)
                    .await?
                    .ok_or(StoreError::Conflict {
                        entity: POINTER,
                        id: request.id,
                        expected: 0,
                    })
            }
            Err(Transact::Failed(e)) => Err(e),
        }
    }

    /// `openid`'s latest erasure request while not carried out (pending, approved or refused).
    pub async fn erasure_asked(&self, openid: &str) -> Result<Option<OperatorRequest>, StoreError> {
        let Some(item) = self.get(keys::erasure_of_student(openid)).await? else {
            return Ok(None);
        };
        let pointer: Pointer = from_record(POINTER, item)?;
        self.operator_request(&pointer.request_id).await.map(Some)
    }

    /// Approves an erasure for the purger to carry out.
    pub async fn approve_erasure(
        &self,
        request: &OperatorRequest,
        decision: RequestDecision,
    ) -> Result<OperatorRequest, ApproveError> {
        still_pending(request)?;
        let approved = decided(request, RequestStatus::Approved, decision);
        self.write_decided(vec![self.decided_put(&approved)?], request)
            .await?;
        Ok(approved)
    }

    /// Approved erasures not carried out yet, oldest first.
    pub async fn erasures_to_run(&self) -> Result<Vec<OperatorRequest>, StoreError> {
        self.requests_in(keys::APPROVED_ERASURES, false).await
    }

    /// Erasures carried out, latest first.
    pub async fn erasures_done(&self) -> Result<Vec<OperatorRequest>, StoreError> {
        self.requests_in(keys::DONE_ERASURES, true).await
    }

    async fn requests_in(
        &self,
        list: &str,
        newest_first: bool,
    ) -> Result<Vec<OperatorRequest>, StoreError> {
        self.query(Query {
            index: Some(GSI1),
            partition: (GSI1_PK, list.to_owned()),
            sort_prefix: None,
            sort_below: None,
            limit: Some(LISTED),
            newest_first,
        })
        .await?
        .into_iter()
        .map(|item| from_record("operator_request", item))
        .collect()
    }

    /// Records the progress of an approved erasure (its cases, or why it waits).
    pub async fn erasure_progress(
        &self,
        request: &OperatorRequest,
        progress: ErasureProgress,
    ) -> Result<OperatorRequest, StoreError> {
        let updated = OperatorRequest {
            erasure: Some(progress),
            ..request.clone()
        };
        self.put_approved(&updated).await?;
        Ok(updated)
    }

    /// Records an erasure as done: the request keeps the counts and no longer names anyone.
    pub async fn finish_erasure(
        &self,
        request: &OperatorRequest,
        erased: Erased,
    ) -> Result<OperatorRequest, StoreError> {
        let progress = request.erasure.clone().unwrap_or_default();
        let done = OperatorRequest {
            kind: RequestKind::Erasure {
                openid: String::new(),
            },
            status: RequestStatus::Done,
            erasure: Some(ErasureProgress {
                blocked: None,
                done: Some(erased),
                ..progress
            }),
            ..request.clone()
        };
        self.put_approved(&done).await?;
        Ok(done)
    }

    /// Writes `request` while the stored one is still approved (a second purger run that
    /// finished it meanwhile wins).
    async fn put_approved(&self, request: &OperatorRequest) -> Result<(), StoreError> {
        let put = self.put(
            self.request_item(request)?,
            "#status = :approved",
            &[("#status", "status")],
            &[(":approved", s("approved"))],
        )?;
        self.transact(vec![put]).await.map_err(|failure| {
            failure.or_conflict(|_| StoreError::Conflict {
                entity: "operator_request",
                id: request.id.clone(),
                expected: 0,
            })
        })
    }

    /// Erases the student from `id` ([`Command::Erase`]): the case names no owner from then on,
    /// and its enrollment's guard no longer names the student either. A published case keeps
    /// its guard (its enrollment is published, and must not be published twice); another
    /// gives its enrollment back, so the student may link it afresh one day.
    pub async fn erase_case(
        &self,
        id: CollectionId,
        now: OffsetDateTime,
    ) -> Result<Transition, UpdateError> {
        let case = self.collection(id).await?;
        let transition = case.apply(Command::Erase, Actor::System("purger".into()), now)?;
        let mut items = self.transition_items(&transition)?;
        items.push(self.guard_of_erased(&case, &transition.next)?);
        self.transact(items).await.map_err(|failure| {
            UpdateError::Store(failure.or_conflict(|_| StoreError::Conflict {
                entity: "collection",
                id: id.to_string(),
                expected: case.version,
            }))
        })?;
        Ok(transition)
    }

    fn guard_of_erased(
        &self,
        was: &Collection,
        erased: &Collection,
    ) -> Result<TransactWriteItem, StoreError> {
        let names_it = "#case = :case";
        let names = [("#case", "collection_id")];
        let values = [(":case", s(was.id.to_string()))];
        if erased.status == domain::CollectionStatus::Published {
            return self.put(case_of_enrollment_item(erased)?, names_it, &names, &values);
        }
        let (pk, sk) = keys::case_of_enrollment(was.task_id, &was.student_number);
        let mut delete = Delete::builder()
            .table_name(self.name())
            .key(PK, s(pk))
            .key(SK, s(sk))
            .condition_expression(names_it);
        for (placeholder, name) in names {
            delete = delete.expression_attribute_names(placeholder, name);
        }
        for (placeholder, value) in values {
            delete = delete.expression_attribute_values(placeholder, value);
        }
        let delete = delete.build().map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// What the purger needs of `openid`'s record, read without opening anything sealed.
    pub async fn student_footprint(&self, openid: &str) -> Result<Footprint, StoreError> {
        let Some(mut item) = self.get(keys::student(openid)).await? else {
            return Ok(Footprint::default());
        };
        let identity_index = match item.remove(GSI2_PK) {
            Some(AttributeValue::S(index)) => index
                .strip_prefix(&keys::id_number_index(""))
                .map(str::to_owned),
            _ => None,
        };
        let PortraitOnly { portrait } = from_record("student", item)?;
        Ok(Footprint {
            identity_index,
            portrait,
        })
    }

    /// Deletes what is kept of `openid` as a student: the record with its sealed identity,
    /// its consents and erasure pointer, the identity's owner item (if still theirs) and the
    /// current portrait's pointer. Returns how many items went.
    pub async fn forget_student(
        &self,
        openid: &str,
        footprint: &Footprint,
    ) -> Result<u64, StoreError> {
        let mut deleted = 0;
        let (partition, _) = keys::student(openid);
        let items = self
            .query_attributes(
                Query {
                    index: None,
                    partition: (PK, partition),
                    sort_prefix: None,
                    sort_below: None,
                    limit: None,
                    newest_first: false,
                },
                &[PK, SK],
            )
            .await?;
        for item in items {
            let key = |name| match item.get(name) {
                Some(AttributeValue::S(v)) => Ok(v.clone()),
                _ => Err(StoreError::corrupt("student", "an item without its key")),
            };
            self.delete_unconditional((key(PK)?, key(SK)?)).await?;
            deleted += 1;
        }
        // The owner items only while they still name this student (an identity moved on).
        if let Some(index) = &footprint.identity_index {
            let key = keys::identity_owner(index);
            deleted += u64::from(self.delete_if(key, "openid", openid).await?);
        }
        if let Some(portrait) = &footprint.portrait {
            let key = keys::portrait(portrait.id);
            deleted += u64::from(self.delete_if(key, "openid", openid).await?);
        }
        Ok(deleted)
    }

    /// A `Delete` of the item at `key`, as one item of a transaction.
    pub(crate) fn delete_item(
        &self,
        (pk, sk): (String, String),
    ) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(self.name())
            .key(PK, s(pk))
            .key(SK, s(sk))
            .build()
            .map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Deletes the item at `key`, if there is one (for the purger).
    pub async fn delete_key(&self, key: (String, String)) -> Result<(), StoreError> {
        self.delete_unconditional(key).await
    }
}
