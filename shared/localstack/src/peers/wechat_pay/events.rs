//! What happens outside the API — the payer pays, WeChat settles a refund — and the
//! notification each makes.

use wechat::pay::{RefundStatus, TradeState};

use super::WeChatPayPeer;
use super::ids::{beijing_now, digits};
use super::notification::SignedNotification;
use super::state::Payment;

impl WeChatPayPeer {
    /// The payer pays an unpaid order: it becomes `SUCCESS` with a new `transaction_id`.
    /// Returns the `TRANSACTION.SUCCESS` notification, or `None` if there is no such unpaid
    /// order.
    pub fn pay(&self, out_trade_no: &str) -> Option<SignedNotification> {
        let plaintext = {
            let mut books = self.peer.books();
            let order = books.orders.get_mut(out_trade_no)?;
            if order.state != TradeState::NotPay {
                return None;
            }
            order.state = TradeState::Success;
            order.payment = Some(Payment {
                transaction_id: format!("42000{}", digits(23)),
                success_time: beijing_now(),
            });
            self.peer.transaction_json(out_trade_no, order)
        };
        Some(self.mint("TRANSACTION.SUCCESS", &plaintext))
    }

    /// WeChat finishes a refund with `status` (a successful one turns the order's state to
    /// `REFUND`). Returns the `REFUND.SUCCESS`, `REFUND.CLOSED` or `REFUND.ABNORMAL`
    /// notification; `None` for an unknown refund or a status WeChat does not notify.
    pub fn settle_refund(
        &self,
        out_refund_no: &str,
        status: RefundStatus,
    ) -> Option<SignedNotification> {
        let event_type = match status {
            RefundStatus::Success => "REFUND.SUCCESS",
            RefundStatus::Closed => "REFUND.CLOSED",
            RefundStatus::Abnormal => "REFUND.ABNORMAL",
            RefundStatus::Processing | RefundStatus::Other(_) => "",
        };
        let plaintext = {
            let mut books = self.peer.books();
            let refund = books.refunds.get_mut(out_refund_no)?;
            if status == RefundStatus::Success {
                refund.success_time = Some(beijing_now());
            }
            refund.status = status;
            let plaintext = self.peer.refund_notice_json(refund);
            if refund.status == RefundStatus::Success {
                let out_trade_no = refund.out_trade_no.clone();
                if let Some(order) = books.orders.get_mut(&out_trade_no) {
                    order.state = TradeState::Refund;
                }
            }
            plaintext
        };
        (!event_type.is_empty()).then(|| self.mint(event_type, &plaintext))
    }
}
