//! Records written in the same transaction as a case's transition ([`Table::save_along`]), so
//! that neither is ever written without the other.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, TransactWriteItem};
use domain::{AttemptId, CollectionId, OrderStatus, PaymentOrder, PortraitId, RefundRecord};
use time::OffsetDateTime;

use crate::StoreError;
use crate::evidence::{Checked, EvidenceRecord, MatchedRecord, PortraitChecked};
use crate::keys;
use crate::leases::UNTIL;
use crate::payments::order_status;
use crate::students::PORTRAIT_HOLDS;
use crate::table::{ABSENT, Table, n, record, s};

#[derive(Debug, Clone, Copy)]
pub enum Along<'a> {
    /// The order as it must be stored, if it still has status `was`.
    Order {
        order: &'a PaymentOrder,
        was: OrderStatus,
    },
    /// A refund record that must not exist yet.
    NewRefund(&'a RefundRecord),
    /// A refund record as it must be stored, if it is still requested.
    SettledRefund(&'a RefundRecord),
    /// The reviewer's lease on the case, deleted if the reviewer still holds it at `now`: a
    /// decision by a reviewer whose lease ran out (and may be someone else's now) is refused.
    Lease {
        case: CollectionId,
        reviewer: &'a str,
        now: OffsetDateTime,
    },
    /// No reviewer holds `case` at `now` (no lease, or one that ran out): the student may take
    /// a submitted photo back only then. A reviewer's claim is a write of its own, so whichever
    /// of the two comes first wins, and a claim after a withdrawal finds no case in review.
    NoLiveLease {
        case: CollectionId,
        now: OffsetDateTime,
    },
    /// The student's ID-card portrait becomes evidence of `case` (it is submitted for review):
    /// written only if `portrait` is still the student's current one (the face match was
    /// computed against it), and from then on the student cannot replace it
    /// ([`Table::put_student`]) until every case holding it lets go.
    HoldPortrait {
        openid: &'a str,
        portrait: Option<PortraitId>,
        case: CollectionId,
    },
    /// `case` no longer holds the student's portrait (a reviewer sent it back for a retake).
    ReleasePortrait { openid: &'a str, case: CollectionId },
    /// What the verdict recorded with this transition was made from (written once: the
    /// verdict is recorded once).
    Evidence(&'a Checked),
    /// The portrait a submission's face match was computed against, recorded with the
    /// submission so the reviewer is shown that portrait (again when a withdrawn photo is
    /// submitted anew, against the portrait of that moment).
    MatchedPortrait {
        attempt: AttemptId,
        portrait: &'a PortraitChecked,
    },
    /// The case's postal address is deleted: its prints were delivered, its purpose ended.
    ForgetAddress(CollectionId),
    /// The attempt is taken up by the photo processor (see `processing`).
    Processing(&'a crate::Processing),
    /// The attempt's check is recorded: its processing marker goes.
    Processed(AttemptId),
    /// One more decision in the reviewer's count for the day of `at`.
    Tally {
        reviewer: &'a str,
        at: OffsetDateTime,
        approved: bool,
    },
}

impl Table {
    pub(crate) fn along_item(&self, along: &Along<'_>) -> Result<TransactWriteItem, StoreError> {
        match along {
            Along::Order { order, was } => {
                self.put_if_status(self.order_item(order)?, order_status(*was))
            }
            Along::NewRefund(refund) => self.put(self.refund_item(refund)?, ABSENT, &[], &[]),
            Along::SettledRefund(refund) => {
                self.put_if_status(self.refund_item(refund)?, "requested")
            }
            Along::Lease {
                case,
                reviewer,
                now,
            } => {
                let (pk, sk) = keys::lease(*case);
                let delete = Delete::builder()
                    .table_name(&self.name)
                    .key(keys::PK, s(pk))
                    .key(keys::SK, s(sk))
                    .condition_expression("#reviewer = :me AND #until > :now")
                    .expression_attribute_names("#reviewer", "reviewer")
                    .expression_attribute_names("#until", UNTIL)
                    .expression_attribute_values(":me", s(*reviewer))
                    .expression_attribute_values(":now", n(now.unix_timestamp()))
                    .build()
                    .map_err(StoreError::request)?;
                Ok(TransactWriteItem::builder().delete(delete).build())
            }
            Along::NoLiveLease { case, now } => {
                let (pk, sk) = keys::lease(*case);
                let check = ConditionCheck::builder()
                    .table_name(&self.name)
                    .key(keys::PK, s(pk))
                    .key(keys::SK, s(sk))
                    .condition_expression("attribute_not_exists(#pk) OR #until <= :now")
                    .expression_attribute_names("#pk", keys::PK)
                    .expression_attribute_names("#until", UNTIL)
                    .expression_attribute_values(":now", n(now.unix_timestamp()))
                    .build()
                    .map_err(StoreError::request)?;
                Ok(TransactWriteItem::builder().condition_check(check).build())
            }
            Along::HoldPortrait {
                openid,
                portrait,
                case,
            } => {
                let update = self
                    .update_parts(keys::student(openid))
                    .update_expression("ADD #holds :case")
                    .expression_attribute_names("#holds", PORTRAIT_HOLDS)
                    .expression_attribute_names("#portrait", "portrait")
                    .expression_attribute_values(
                        ":case",
                        AttributeValue::Ss(vec![case.to_string()]),
                    );
                let update = match portrait {
                    Some(id) => update
                        .condition_expression("#portrait.#id = :portrait")
                        .expression_attribute_names("#id", "id")
                        .expression_attribute_values(":portrait", s(id.to_string())),
                    None => update
                        .condition_expression(
                            "attribute_not_exists(#portrait) OR attribute_type(#portrait, :null)",
                        )
                        .expression_attribute_values(":null", s("NULL")),
                };
                Ok(TransactWriteItem::builder()
                    .update(update.build().map_err(StoreError::request)?)
                    .build())
            }
            Along::ReleasePortrait { openid, case } => {
                let update = self
                    .update_parts(keys::student(openid))
                    .update_expression("DELETE #holds :case")
                    .expression_attribute_names("#holds", PORTRAIT_HOLDS)
                    .expression_attribute_values(
                        ":case",
                        AttributeValue::Ss(vec![case.to_string()]),
                    )
                    .build()
                    .map_err(StoreError::request)?;
                Ok(TransactWriteItem::builder().update(update).build())
            }
            Along::Evidence(checked) => {
                let item = record(
                    EvidenceRecord::entity(),
                    keys::evidence(checked.attempt),
                    &EvidenceRecord {
                        sha256: checked.digest.to_string(),
                    },
                )?;
                self.put(item, ABSENT, &[], &[])
            }
            Along::MatchedPortrait { attempt, portrait } => {
                let item = record(
                    EvidenceRecord::entity(),
                    keys::matched_portrait(*attempt),
                    &MatchedRecord {
                        portrait: portrait.portrait.to_string(),
                        sha256: portrait.digest.to_string(),
                    },
                )?;
                self.put_any(item)
            }
            Along::ForgetAddress(case) => self.delete_item(keys::address(*case)),
            Along::Processing(marker) => self.put_any(self.processing_item(marker)?),
            Along::Processed(attempt) => self.delete_item(keys::processing(*attempt)),
            Along::Tally {
                reviewer,
                at,
                approved,
            } => self.tally_item(reviewer, *at, *approved),
        }
    }
}
