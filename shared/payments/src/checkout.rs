//! Paying for a case: one open order per case, reused while it can still be paid, replaced
//! (and closed at WeChat Pay first) when it cannot.

use domain::{
    Collection, CollectionStatus, CollectionTask, OrderStatus, PaymentOrder, TransitionError,
};
use store::StoreError;
use time::OffsetDateTime;
use wechat::pay::{JsapiOrder, MiniProgramPayment, TradeState};

use crate::{PaymentError, Payments};

/// What the mini program needs to open WeChat's payment sheet.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub order_no: String,
    pub amount_fen: u32,
    pub expires_at: OffsetDateTime,
    /// `wx.requestPayment`'s parameters, `paySign` included.
    pub parameters: MiniProgramPayment,
}

impl Payments {
    /// The order the case's owner pays now: the task's fee, and with `with_print` the price of
    /// its printed photos too (the caller checked the task offers them and an address is on
    /// file). The caller checked that the caller owns `case`.
    pub async fn checkout(
        &self,
        case: &Collection,
        task: &CollectionTask,
        with_print: bool,
        now: OffsetDateTime,
    ) -> Result<Checkout, PaymentError> {
        if case.payment.is_some() {
            return Err(TransitionError::AlreadyPaid.into());
        }
        if case.status != CollectionStatus::AwaitingPayment {
            return Err(TransitionError::NotAllowed {
                command: "confirm_payment",
                status: case.status,
            }
            .into());
        }
        if task.fee_fen == 0 {
            return Err(PaymentError::NothingToPay);
        }
        // A lost race with a second request of the same student means their order is placed:
        // read it again and use it.
        let print_fen = match (with_print, task.print) {
            (false, _) => 0,
            (true, Some(offer)) => offer.price_fen,
            (true, None) => return Err(PaymentError::NothingToPay),
        };
        let mut order = match self.order_to_pay(case, task, print_fen, now).await {
            Err(PaymentError::Store(StoreError::Conflict { .. })) => {
                self.order_to_pay(case, task, print_fen, now).await?
            }
            other => other?,
        };
        let prepay_id = match order.prepay_id.clone() {
            Some(id) => id,
            None => {
                let id = self
                    .client
                    .create_jsapi_order(&JsapiOrder {
                        out_trade_no: order.order_no.clone(),
                        description: order.description.clone(),
                        amount_fen: order.amount_fen,
                        payer_openid: order.payer.clone(),
                        time_expire: order.expires_at,
                    })
                    .await?;
                order.prepay_id = Some(id.clone());
                // The same order placed twice at WeChat gives the same prepay_id, so a lost
                // race here is harmless; only the first write is kept.
                match self.table.update_order(&order, OrderStatus::Created).await {
                    Ok(()) | Err(StoreError::Conflict { .. }) => {}
                    Err(err) => return Err(err.into()),
                }
                id
            }
        };
        let parameters =
            self.client
                .payment_parameters(&prepay_id, now.unix_timestamp(), &wechat::pay::nonce());
        Ok(Checkout {
            order_no: order.order_no,
            amount_fen: order.amount_fen,
            expires_at: order.expires_at,
            parameters,
        })
    }

    /// The case's current order if it can still be paid and is for the same things (a
    /// student who adds or drops the prints gets a new order, the old one closed); otherwise a
    /// new one, stored as the case's order in place of the old one.
    async fn order_to_pay(
        &self,
        case: &Collection,
        task: &CollectionTask,
        print_fen: u32,
        now: OffsetDateTime,
    ) -> Result<PaymentOrder, PaymentError> {
        let current = self.table.current_order(case.id).await?;
        if let Some(order) = &current
            && order.is_payable(now)
            && order.amount_fen == task.fee_fen + print_fen
            && order.print_fen == print_fen
        {
            return Ok(order.clone());
        }
        let replacing = match current {
            None => None,
            Some(old) if old.status == OrderStatus::Created => {
                let closed = self.close_at_wechat(old, now).await?;
                Some((closed, OrderStatus::Created))
            }
            Some(old) => {
                let was = old.status;
                Some((old, was))
            }
        };
        let mut order = PaymentOrder::new(
            case.id,
            case.owner.clone(),
            task.fee_fen + print_fen,
            description(task, print_fen > 0),
            now,
        );
        order.print_fen = print_fen;
        self.table
            .place_order(&order, replacing.as_ref().map(|(o, was)| (o, *was)))
            .await?;
        Ok(order)
    }

    /// Closes an unpaid order at WeChat Pay so it can no longer be paid, and returns it
    /// closed. If it was paid after all, the payment is applied and the case is paid.
    pub(crate) async fn close_at_wechat(
        &self,
        mut order: PaymentOrder,
        now: OffsetDateTime,
    ) -> Result<PaymentOrder, PaymentError> {
        if let Err(err) = self.client.close_order(&order.order_no).await {
            if err.code() != Some("ORDERPAID") && err.code() != Some("ORDER_NOT_EXIST") {
                return Err(err.into());
            }
            if err.code() == Some("ORDERPAID") {
                let transaction = self.client.query_order(&order.order_no).await?;
                if matches!(transaction.trade_state, TradeState::Success) {
                    self.apply_transaction(&transaction, now).await?;
                    return Err(TransitionError::AlreadyPaid.into());
                }
            }
        }
        order.status = OrderStatus::Closed;
        Ok(order)
    }
}

/// What the student's payment sheet and bill show.
fn description(task: &CollectionTask, with_print: bool) -> String {
    let print = if with_print {
        "（含冲印邮寄）"
    } else {
        ""
    };
    format!("{}毕业生图像采集{print}", task.school)
}
