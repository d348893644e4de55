//! Refunds: asked for by the student or an operator before approval, settled by WeChat Pay.

use domain::{
    Actor, CollectionId, Command, RefundFailure, RefundRecord, RefundStatus, TransitionError,
};
use store::Along;
use time::OffsetDateTime;
use wechat::pay::RefundRequest;

use crate::apply::Applied;
use crate::{PaymentError, Payments};

/// Longest refund reason WeChat Pay accepts (80 characters).
const MAX_REASON_CHARS: usize = 80;

impl Payments {
    /// Asks for the payment of case `id` back. The request is recorded on the case first (its
    /// audit trail names `actor`), then sent; if WeChat Pay cannot be reached, the refund stays
    /// pending and the reconciler sends it again.
    pub async fn request_refund(
        &self,
        id: CollectionId,
        actor: Actor,
        reason: Option<String>,
        now: OffsetDateTime,
    ) -> Result<RefundRecord, PaymentError> {
        let case = self.table.collection(id).await?;
        let Some(payment) = case.payment else {
            return Err(TransitionError::NotAllowed {
                command: "request_refund",
                status: case.status,
            }
            .into());
        };
        let record = RefundRecord {
            refund_no: RefundRecord::new_refund_no(),
            order_no: payment.order_no.clone(),
            collection_id: id,
            amount_fen: payment.amount_fen,
            status: RefundStatus::Requested,
            requested_by: actor.clone(),
            reason: reason.map(|r| r.chars().take(MAX_REASON_CHARS).collect()),
            refund_id: None,
            created_at: now,
            settled_at: None,
        };
        let command = Command::RequestRefund {
            order_no: payment.order_no,
            refund_no: record.refund_no.clone(),
        };
        self.table
            .transition_along(id, command, actor, now, &[Along::NewRefund(&record)])
            .await?;
        self.send_refund(&record, now).await?;
        Ok(self
            .table
            .refund(&record.refund_no)
            .await?
            .unwrap_or(record))
    }

    /// Sends a recorded refund to WeChat Pay (again: the same `out_refund_no` is one refund
    /// there) and applies what it answers.
    pub(crate) async fn send_refund(
        &self,
        record: &RefundRecord,
        now: OffsetDateTime,
    ) -> Result<Applied, PaymentError> {
        let request = RefundRequest {
            out_trade_no: record.order_no.clone(),
            out_refund_no: record.refund_no.clone(),
            reason: record.reason.clone(),
            refund_fen: record.amount_fen,
            total_fen: record.amount_fen,
        };
        match self.client.refund(&request).await {
            Ok(answer) => self.apply_refund(&answer, now).await,
            Err(err) if err.is_transient() => {
                tracing::warn!(refund = %record.refund_no, error = %err, "refund not sent; the reconciler retries");
                Ok(Applied::Pending)
            }
            // Refused outright (no balance, order too old): the payment stands.
            Err(err) => {
                tracing::warn!(refund = %record.refund_no, error = %err, "refund refused");
                let settled = RefundRecord {
                    status: RefundStatus::Refused,
                    settled_at: Some(now),
                    ..record.clone()
                };
                self.table
                    .transition_along(
                        record.collection_id,
                        Command::RefundFailed {
                            refund_no: record.refund_no.clone(),
                            failure: RefundFailure::Refused,
                        },
                        Actor::PaymentProvider,
                        now,
                        &[Along::SettledRefund(&settled)],
                    )
                    .await?;
                Err(err.into())
            }
        }
    }
}
