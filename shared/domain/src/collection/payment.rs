//! Payment commands: WeChat Pay confirms a payment, a refund is asked for, and WeChat Pay says
//! how the refund ended.

use time::OffsetDateTime;

use super::CollectionStatus::{AwaitingPayment, AwaitingPhoto};
use super::{Collection, Payment, PendingRefund, PrintOrder, TransitionError};

impl Collection {
    pub(super) fn confirm_payment(
        &self,
        next: &mut Collection,
        payment: &Payment,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        // A late copy of a refunded order's notification is stale, whatever came since.
        if self.refunded_orders.contains(&payment.order_no) {
            return Err(TransitionError::AlreadyApplied);
        }
        if let Some(paid) = &self.payment {
            return Err(
                if paid.order_no == payment.order_no
                    && paid.transaction_id == payment.transaction_id
                {
                    TransitionError::AlreadyApplied
                } else {
                    TransitionError::AlreadyPaid
                },
            );
        }
        if self.status != AwaitingPayment {
            return Err(not_allowed());
        }
        next.payment = Some(payment.clone());
        next.print = (payment.print_fen > 0).then_some(PrintOrder {
            price_fen: payment.print_fen,
            printed: None,
            shipped: None,
            delivered_at: None,
        });
        next.status = AwaitingPhoto;
        Ok(())
    }

    pub(super) fn request_refund(
        &self,
        next: &mut Collection,
        order_no: &String,
        refund_no: &String,
        at: OffsetDateTime,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        if let Some(pending) = &self.pending_refund {
            return Err(if &pending.refund_no == refund_no {
                TransitionError::AlreadyApplied
            } else {
                TransitionError::RefundPending
            });
        }
        if self.status.is_locked() || self.payment.is_none() {
            return Err(not_allowed());
        }
        if self
            .payment
            .as_ref()
            .is_some_and(|p| &p.order_no != order_no)
        {
            return Err(TransitionError::OtherOrder {
                order_no: order_no.clone(),
            });
        }
        next.pending_refund = Some(PendingRefund {
            refund_no: refund_no.clone(),
            order_no: order_no.clone(),
            requested_at: at,
        });
        Ok(())
    }

    pub(super) fn refund_failed(
        &self,
        next: &mut Collection,
        refund_no: &String,
    ) -> Result<(), TransitionError> {
        match &self.pending_refund {
            Some(pending) if &pending.refund_no == refund_no => next.pending_refund = None,
            Some(_) => {
                return Err(TransitionError::OtherRefund {
                    refund_no: refund_no.clone(),
                });
            }
            // Settled already: a redelivered notification.
            None => return Err(TransitionError::AlreadyApplied),
        }
        Ok(())
    }

    pub(super) fn refund(
        &self,
        next: &mut Collection,
        order_no: &String,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        if self.status.is_locked() {
            return Err(not_allowed());
        }
        match &self.payment {
            Some(paid) if &paid.order_no == order_no => {}
            _ if self.refunded_orders.contains(order_no) => {
                return Err(TransitionError::AlreadyApplied);
            }
            _ => {
                return Err(TransitionError::OtherOrder {
                    order_no: order_no.clone(),
                });
            }
        }
        // The prints were paid with the case and go with its refund: before approval nothing
        // was printed.
        next.payment = None;
        next.print = None;
        next.pending_refund = None;
        next.refunded_orders.push(order_no.clone());
        next.submitted_attempt = None;
        next.submitted_at = None;
        next.status = AwaitingPayment;
        Ok(())
    }
}
