//! What a report from WeChat Pay (a notification or a query's answer) does to a case. Both
//! ways in end here, so a payment is recorded once whichever arrives first.

use domain::{
    Actor, AnomalyKind, Command, OrderStatus, Payment, PaymentAnomaly, RefundFailure, RefundRecord,
    RefundStatus, TransitionError,
};
use store::{Along, StoreError, UpdateError};
use time::OffsetDateTime;
use ulid::Ulid;
use wechat::pay::{Refund, RefundStatus as WeChatRefundStatus, TradeState, Transaction};

use crate::{PaymentError, Payments};

/// What a report changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The case changed (paid, refunded, or its refund failed).
    Recorded,
    /// It had been recorded before: a redelivery, or the reconciler and a notification both.
    AlreadyRecorded,
    /// Not a final state (an unpaid order, a refund in progress): nothing to record.
    Pending,
    /// It did not fit what we stored; kept for an operator, the case left alone.
    Anomaly(AnomalyKind),
}

impl Payments {
    /// Records a paid order (`trade_state` SUCCESS) on its case, exactly once.
    pub async fn apply_transaction(
        &self,
        report: &Transaction,
        now: OffsetDateTime,
    ) -> Result<Applied, PaymentError> {
        let reference = &report.out_trade_no;
        let Some(order) = self.table.order(reference).await? else {
            return self
                .anomaly(
                    AnomalyKind::UnknownOrder,
                    reference,
                    "no such order".into(),
                    now,
                )
                .await;
        };
        if !matches!(report.trade_state, TradeState::Success) {
            return Ok(Applied::Pending);
        }
        let config = self.client.config();
        let amount = report.amount.as_ref();
        let mismatch = if report.appid != config.appid || report.mchid != config.mchid {
            Some(format!(
                "paid to appid {} / mchid {}, not ours",
                report.appid, report.mchid
            ))
        } else if amount.map(|a| (a.total, a.currency.as_str())) != Some((order.amount_fen, "CNY"))
        {
            Some(format!(
                "paid {:?} for an order of {} fen",
                amount.map(|a| (a.total, &a.currency)),
                order.amount_fen
            ))
        } else if report.transaction_id.is_none() {
            Some("a success without a transaction_id".into())
        } else {
            None
        };
        if let Some(detail) = mismatch {
            return self
                .anomaly(AnomalyKind::Mismatch, reference, detail, now)
                .await;
        }
        let transaction_id = report.transaction_id.clone().unwrap_or_default();
        let payment = Payment {
            order_no: order.order_no.clone(),
            amount_fen: order.amount_fen,
            transaction_id: transaction_id.clone(),
            paid_at: report.success_time.unwrap_or(now),
            print_fen: order.print_fen,
        };
        let mut paid = order.clone();
        paid.status = OrderStatus::Paid;
        paid.transaction_id = Some(transaction_id);
        let along = [Along::Order {
            order: &paid,
            was: order.status,
        }];
        let outcome = self
            .table
            .transition_along(
                order.collection_id,
                Command::ConfirmPayment { payment },
                Actor::PaymentProvider,
                now,
                &along,
            )
            .await;
        match outcome {
            Ok(_) => Ok(Applied::Recorded),
            Err(UpdateError::Refused(refusal)) if refusal.is_duplicate() => {
                Ok(Applied::AlreadyRecorded)
            }
            // Paid by another order (an old one paid at the last moment): money to return.
            Err(UpdateError::Refused(refusal)) => {
                let detail = format!("case {}: {refusal}", order.collection_id);
                self.anomaly(AnomalyKind::DoublePayment, reference, detail, now)
                    .await
            }
            Err(UpdateError::Store(err)) => Err(err.into()),
        }
    }

    /// Settles a refund WeChat Pay reports on (SUCCESS, CLOSED or ABNORMAL), exactly once.
    pub async fn apply_refund(
        &self,
        report: &Refund,
        now: OffsetDateTime,
    ) -> Result<Applied, PaymentError> {
        let reference = &report.out_refund_no;
        let Some(refund) = self.table.refund(reference).await? else {
            // Refunds are asked for through us only; one made elsewhere is for an operator.
            return self
                .anomaly(
                    AnomalyKind::UnknownOrder,
                    reference,
                    "no such refund".into(),
                    now,
                )
                .await;
        };
        if refund.status.is_settled() {
            return Ok(Applied::AlreadyRecorded);
        }
        let mchid_differs = report
            .mchid
            .as_ref()
            .is_some_and(|m| m != &self.client.config().mchid);
        if report.out_trade_no != refund.order_no
            || report.amount.refund != refund.amount_fen
            || mchid_differs
        {
            let detail = format!(
                "refund of {} fen on order {}, we asked {} fen on order {}",
                report.amount.refund, report.out_trade_no, refund.amount_fen, refund.order_no
            );
            return self
                .anomaly(AnomalyKind::Mismatch, reference, detail, now)
                .await;
        }
        let (status, failure) = match &report.status {
            WeChatRefundStatus::Success => (RefundStatus::Succeeded, None),
            WeChatRefundStatus::Closed => (RefundStatus::Closed, Some(RefundFailure::Closed)),
            WeChatRefundStatus::Abnormal => (RefundStatus::Abnormal, Some(RefundFailure::Abnormal)),
            _ => return Ok(Applied::Pending),
        };
        let settled = RefundRecord {
            status,
            refund_id: Some(report.refund_id.clone()),
            settled_at: Some(report.success_time.unwrap_or(now)),
            ..refund.clone()
        };
        let applied = match failure {
            None => self.refunded(&settled, now).await?,
            Some(failure) => {
                self.settle(
                    &settled,
                    Command::RefundFailed {
                        refund_no: settled.refund_no.clone(),
                        failure,
                    },
                    &[],
                    now,
                )
                .await?
            }
        };
        if status == RefundStatus::Abnormal && applied == Applied::Recorded {
            let detail = format!(
                "case {}: the money could not be returned",
                refund.collection_id
            );
            self.anomaly(AnomalyKind::RefundAbnormal, reference, detail, now)
                .await?;
        }
        Ok(applied)
    }

    /// The money went back: the case returns to awaiting payment, its order is refunded.
    async fn refunded(
        &self,
        settled: &RefundRecord,
        now: OffsetDateTime,
    ) -> Result<Applied, PaymentError> {
        let Some(order) = self.table.order(&settled.order_no).await? else {
            return Err(StoreError::NotFound {
                entity: "order",
                id: settled.order_no.clone(),
            }
            .into());
        };
        let refunded = domain::PaymentOrder {
            status: OrderStatus::Refunded,
            ..order.clone()
        };
        let along = [Along::Order {
            order: &refunded,
            was: order.status,
        }];
        let command = Command::Refund {
            order_no: settled.order_no.clone(),
        };
        match self.settle(settled, command, &along, now).await {
            // Approved meanwhile (a refund made outside the service): the money is gone but
            // the photo stands. Keep the refund's outcome and tell an operator.
            Err(PaymentError::Refused(TransitionError::NotAllowed { status, .. })) => {
                self.table.settle_refund(settled).await?;
                let detail = format!("case {} is {status}", settled.collection_id);
                self.anomaly(AnomalyKind::LateRefund, &settled.refund_no, detail, now)
                    .await
            }
            other => other,
        }
    }

    /// Applies `command` to the refund's case with the settled refund (and `along`).
    async fn settle(
        &self,
        settled: &RefundRecord,
        command: Command,
        along: &[Along<'_>],
        now: OffsetDateTime,
    ) -> Result<Applied, PaymentError> {
        let mut records = vec![Along::SettledRefund(settled)];
        records.extend_from_slice(along);
        match self
            .table
            .transition_along(
                settled.collection_id,
                command,
                Actor::PaymentProvider,
                now,
                &records,
            )
            .await
        {
            Ok(_) => Ok(Applied::Recorded),
            Err(UpdateError::Refused(refusal)) if refusal.is_duplicate() => {
                Ok(Applied::AlreadyRecorded)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Keeps a report that does not fit, for an operator, and raises the alarm in the log.
    pub(crate) async fn anomaly(
        &self,
        kind: AnomalyKind,
        reference: &str,
        detail: String,
        now: OffsetDateTime,
    ) -> Result<Applied, PaymentError> {
        let first = self
            .table
            .record_anomaly(&PaymentAnomaly {
                id: Ulid::new(),
                kind,
                reference: reference.to_owned(),
                detail: detail.clone(),
                at: now,
            })
            .await?;
        // An alarm on this field pages the operator, once per order and kind; the detail
        // holds numbers and ids only.
        if first {
            tracing::error!(alarm = "payment_anomaly", ?kind, reference, %detail, "payment anomaly");
        } else {
            tracing::info!(?kind, reference, "payment anomaly reported again");
        }
        // An open order WeChat Pay reported on in a way we cannot take leaves the
        // reconciler's queue: asking again would only say the same, and hold a place.
        if matches!(kind, AnomalyKind::Mismatch | AnomalyKind::DoublePayment) {
            self.table.park_order(reference).await?;
        }
        Ok(Applied::Anomaly(kind))
    }
}
