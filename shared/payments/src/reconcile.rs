//! The reconciler's pass: a lost notification never leaves a student stuck. Orders older than
//! [`RECONCILE_AFTER`] that are still open are asked about, and closed once expired; refunds
//! still pending are asked about, or sent again if WeChat Pay never got them.

use domain::{OrderStatus, PaymentOrder, RefundRecord};
use store::StoreError;
use time::OffsetDateTime;
use wechat::pay::TradeState;

use crate::apply::Applied;
use crate::{PaymentError, Payments, RECONCILE_AFTER};

/// What one pass did, for the log and the tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reconciled {
    pub orders_checked: usize,
    /// Payments recorded from a query: their notification had not arrived.
    pub paid: usize,
    pub closed: usize,
    pub refunds_checked: usize,
    pub refunds_settled: usize,
    /// Items that failed this time (WeChat Pay or the store unavailable); tried next pass.
    pub failed: usize,
}

/// How many open orders and pending refunds one pass looks at.
const PASS_LIMIT: usize = 500;

impl Payments {
    pub async fn reconcile(&self, now: OffsetDateTime) -> Result<Reconciled, PaymentError> {
        let mut done = Reconciled::default();
        // Only orders old enough to ask about: young ones, still being paid for, would take
        // places in the window from lost notifications.
        for order in self
            .table
            .open_orders(now - RECONCILE_AFTER, PASS_LIMIT)
            .await?
        {
            done.orders_checked += 1;
            match self.reconcile_order(order, now).await {
                Ok(Some(OrderStatus::Paid)) => done.paid += 1,
                Ok(Some(OrderStatus::Closed)) => done.closed += 1,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "order not reconciled");
                    done.failed += 1;
                }
            }
        }
        for refund in self.table.pending_refunds(PASS_LIMIT).await? {
            if now - refund.created_at < time::Duration::minutes(1) {
                continue;
            }
            done.refunds_checked += 1;
            match self.reconcile_refund(&refund, now).await {
                Ok(Applied::Recorded | Applied::AlreadyRecorded | Applied::Anomaly(_)) => {
                    done.refunds_settled += 1
                }
                Ok(Applied::Pending) => {}
                Err(err) => {
                    tracing::warn!(error = %err, refund = %refund.refund_no, "refund not reconciled");
                    done.failed += 1;
                }
            }
        }
        tracing::info!(?done, "reconciled");
        Ok(done)
    }

    /// Asks about one open order; returns its new status if it changed.
    async fn reconcile_order(
        &self,
        order: PaymentOrder,
        now: OffsetDateTime,
    ) -> Result<Option<OrderStatus>, PaymentError> {
        let expired = now >= order.expires_at;
        let state = match self.client.query_order(&order.order_no).await {
            Ok(report) if matches!(report.trade_state, TradeState::Success) => {
                return match self.apply_transaction(&report, now).await? {
                    Applied::Recorded => Ok(Some(OrderStatus::Paid)),
                    _ => Ok(None),
                };
            }
            Ok(report) => report.trade_state,
            // Never placed at WeChat Pay (the prepay call failed): nothing to close there.
            Err(err) if err.code() == Some("ORDER_NOT_EXIST") => TradeState::Closed,
            Err(err) => return Err(err.into()),
        };
        let closed = match state {
            TradeState::Closed | TradeState::Revoked | TradeState::PayError => PaymentOrder {
                status: OrderStatus::Closed,
                ..order.clone()
            },
            TradeState::NotPay | TradeState::UserPaying if expired => {
                match self.close_at_wechat(order.clone(), now).await {
                    Ok(closed) => closed,
                    // Paid at the last moment: recorded by close_at_wechat.
                    Err(PaymentError::Refused(_)) => return Ok(Some(OrderStatus::Paid)),
                    Err(err) => return Err(err),
                }
            }
            _ => return Ok(None),
        };
        match self.table.update_order(&closed, OrderStatus::Created).await {
            Ok(()) => Ok(Some(OrderStatus::Closed)),
            // Paid or replaced meanwhile: whoever changed it decided.
            Err(StoreError::Conflict { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    async fn reconcile_refund(
        &self,
        refund: &RefundRecord,
        now: OffsetDateTime,
    ) -> Result<Applied, PaymentError> {
        match self.client.query_refund(&refund.refund_no).await {
            Ok(report) => self.apply_refund(&report, now).await,
            // Recorded but never sent (WeChat Pay was unreachable): send it now.
            Err(err) if err.code() == Some("RESOURCE_NOT_EXISTS") => {
                self.send_refund(refund, now).await
            }
            Err(err) => Err(err.into()),
        }
    }
}
