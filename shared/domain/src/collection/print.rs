//! Printed photos (冲印、邮寄): a sheet of the approved photo is printed, shipped and delivered.
//! A print order rides along the case: it was paid with the case's payment, it moves only once
//! the photo is approved, and it never moves the case itself.

use time::OffsetDateTime;

use super::{Collection, PrintOrder, Printed, Shipment, TransitionError};
use crate::ids::PrintBatchId;

/// Courier tracking numbers (顺丰 SF…, EMS, 京东 JD…) are 8–32 letters and digits.
fn tracking_no(value: &str) -> Result<String, TransitionError> {
    let value = value.trim();
    if (8..=32).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(value.to_ascii_uppercase())
    } else {
        Err(TransitionError::Invalid {
            field: "tracking_no",
            problem: "must be 8–32 letters and digits".into(),
        })
    }
}

impl Collection {
    fn print_order(&self) -> Result<&PrintOrder, TransitionError> {
        self.print.as_ref().ok_or(TransitionError::NoPrintOrder)
    }

    fn print_order_mut(next: &mut Collection) -> Result<&mut PrintOrder, TransitionError> {
        next.print.as_mut().ok_or(TransitionError::NoPrintOrder)
    }

    pub(super) fn printed(
        &self,
        next: &mut Collection,
        batch_id: PrintBatchId,
        at: OffsetDateTime,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        let order = self.print_order()?;
        if order
            .printed
            .as_ref()
            .is_some_and(|p| p.batch_id == batch_id)
        {
            return Err(TransitionError::AlreadyApplied);
        }
        // Only an approved photo is printed, and in one batch: a spoilt sheet is printed again
        // from the same file (sheets are byte-identical); a second batch would be a second
        // parcel.
        if !self.status.is_locked() || order.printed.is_some() {
            return Err(not_allowed());
        }
        Self::print_order_mut(next)?.printed = Some(Printed { batch_id, at });
        Ok(())
    }

    pub(super) fn shipped(
        &self,
        next: &mut Collection,
        courier: &str,
        tracking: &str,
        at: OffsetDateTime,
    ) -> Result<(), TransitionError> {
        let order = self.print_order()?;
        let courier = crate::text::required("courier", courier, 20).map_err(|e| {
            TransitionError::Invalid {
                field: e.field,
                problem: e.problem,
            }
        })?;
        let tracking_no = tracking_no(tracking)?;
        if order.printed.is_none() {
            return Err(TransitionError::PrintNotReady { needed: "printed" });
        }
        if order.delivered_at.is_some() {
            return Err(TransitionError::AlreadyApplied);
        }
        if order
            .shipped
            .as_ref()
            .is_some_and(|s| s.courier == courier && s.tracking_no == tracking_no)
        {
            return Err(TransitionError::AlreadyApplied);
        }
        Self::print_order_mut(next)?.shipped = Some(Shipment {
            courier,
            tracking_no,
            at,
        });
        Ok(())
    }

    pub(super) fn delivered(
        &self,
        next: &mut Collection,
        at: OffsetDateTime,
    ) -> Result<(), TransitionError> {
        let order = self.print_order()?;
        if order.delivered_at.is_some() {
            return Err(TransitionError::AlreadyApplied);
        }
        if order.shipped.is_none() {
            return Err(TransitionError::PrintNotReady { needed: "shipped" });
        }
        Self::print_order_mut(next)?.delivered_at = Some(at);
        Ok(())
    }
}
