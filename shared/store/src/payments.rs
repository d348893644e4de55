//! Payment orders, refunds and anomalies (DESIGN §6). Orders and refunds change together with
//! the case they pay for ([`crate::Along`] in [`Table::save_along`]); the sparse `gsi1` keeps the
//! open orders and pending refunds the reconciler must look at, and the anomalies an operator
//! must.

use aws_sdk_dynamodb::types::TransactWriteItem;
use domain::{AnomalyKind, CollectionId, OrderStatus, PaymentAnomaly, PaymentOrder, RefundRecord};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::along::Along;
use crate::keys::{self, GSI1, GSI1_PK, GSI1_SK};
use crate::table::{ABSENT, Item, Query, Table, Transact, from_record, record, s};

const ORDER: &str = "order";
const ORDER_OF_CASE: &str = "order_of_case";
const REFUND: &str = "refund";
const ANOMALY: &str = "payment_anomaly";

#[derive(Serialize, Deserialize)]
struct OrderOfCase {
    order_no: String,
}

/// Queue position in `gsi1`: oldest first, the number breaking ties.
fn since(at: time::OffsetDateTime, id: &str) -> String {
    format!("{:012}#{id}", at.unix_timestamp())
}

impl Table {
    /// Clears the payer's account from a settled order (an erasure, or the end of the identity's
    /// retention): the accounting record keeps the order, its amount and times. Whether an
    /// order was there.
    pub async fn forget_payer(&self, order_no: &str) -> Result<bool, StoreError> {
        let cleared = self
            .update(keys::order(order_no))
            .update_expression("SET #payer = :none")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#payer", "payer")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(":none", s(""))
            .send()
            .await;
        crate::table::written(cleared, "UpdateItem")
    }

    pub(crate) fn order_item(&self, order: &PaymentOrder) -> Result<Item, StoreError> {
        let mut item = record(ORDER, keys::order(&order.order_no), order)?;
        if order.status == OrderStatus::Created {
            item.insert(GSI1_PK.into(), s(keys::OPEN_ORDERS));
            item.insert(GSI1_SK.into(), s(since(order.created_at, &order.order_no)));
        }
        Ok(item)
    }

    pub(crate) fn refund_item(&self, refund: &RefundRecord) -> Result<Item, StoreError> {
        let mut item = record(REFUND, keys::refund(&refund.refund_no), refund)?;
        if !refund.status.is_settled() {
            item.insert(GSI1_PK.into(), s(keys::PENDING_REFUNDS));
            item.insert(
                GSI1_SK.into(),
                s(since(refund.created_at, &refund.refund_no)),
            );
        }
        Ok(item)
    }

    /// A put of `item` if its `status` is still `was`.
    pub(crate) fn put_if_status(
        &self,
        item: Item,
        was: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        self.put(
            item,
            "#status = :was",
            &[("#status", "status")],
            &[(":was", s(was))],
        )
    }

    /// Places `order` as its case's current order. `replacing` is the case's previous order
    /// as it must be stored (closed, say), if its status is still the one given; `None` when
    /// the case never had one. Two requests racing to place an order for one case: one wins,
    /// the other gets [`StoreError::Conflict`].
    pub async fn place_order(
        &self,
        order: &PaymentOrder,
        replacing: Option<(&PaymentOrder, OrderStatus)>,
    ) -> Result<(), StoreError> {
        let pointer = record(
            ORDER_OF_CASE,
            keys::order_of_case(order.collection_id),
            &OrderOfCase {
                order_no: order.order_no.clone(),
            },
        )?;
        let mut items = vec![self.put(self.order_item(order)?, ABSENT, &[], &[])?];
        match replacing {
            None => items.push(self.put(pointer, ABSENT, &[], &[])?),
            Some((old, was)) => {
                items.push(self.put(
                    pointer,
                    "order_no = :old",
                    &[],
                    &[(":old", s(old.order_no.clone()))],
                )?);
                // Written only if nothing (a late payment) changed it meanwhile.
                items.push(self.put_if_status(self.order_item(old)?, order_status(was))?);
            }
        }
        self.transact(items).await.map_err(|failure| {
            failure.or_conflict(|_| StoreError::Conflict {
                entity: ORDER_OF_CASE,
                id: order.collection_id.to_string(),
                expected: 0,
            })
        })
    }

    /// The case's current order, if it ever had one.
    pub async fn current_order(
        &self,
        collection: CollectionId,
    ) -> Result<Option<PaymentOrder>, StoreError> {
        let Some(item) = self.get(keys::order_of_case(collection)).await? else {
            return Ok(None);
        };
        let pointer: OrderOfCase = from_record(ORDER_OF_CASE, item)?;
        self.order(&pointer.order_no).await
    }

    pub async fn order(&self, order_no: &str) -> Result<Option<PaymentOrder>, StoreError> {
        self.get(keys::order(order_no))
            .await?
            .map(|item| from_record(ORDER, item))
            .transpose()
    }

    /// Stores a change to an order that does not touch its case (its `prepay_id`, or closing
    /// it), if its status is still `was`; otherwise [`StoreError::Conflict`].
    pub async fn update_order(
        &self,
        order: &PaymentOrder,
        was: OrderStatus,
    ) -> Result<(), StoreError> {
        let item = self.put_if_status(self.order_item(order)?, order_status(was))?;
        self.transact(vec![item]).await.map_err(|failure| {
            failure.or_conflict(|_| StoreError::Conflict {
                entity: ORDER,
                id: order.order_no.clone(),
                expected: 0,
            })
        })
    }

    /// Unpaid orders placed before `before`, oldest first: younger ones, still being paid
    /// for, never take a place among the `limit`.
    pub async fn open_orders(
        &self,
        before: time::OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<PaymentOrder>, StoreError> {
        let below = since(before, "");
        self.indexed(ORDER, keys::OPEN_ORDERS, Some(&below), limit)
            .await
    }

    /// Takes an unpaid order out of the reconciler's queue: WeChat Pay's report on it did not
    /// fit (an anomaly, kept for an operator), and asking again would only repeat it.
    pub async fn park_order(&self, order_no: &str) -> Result<bool, StoreError> {
        let parked = self
            .update(keys::order(order_no))
            .update_expression("REMOVE #gpk, #gsk")
            .condition_expression("#status = :created")
            .expression_attribute_names("#gpk", GSI1_PK)
            .expression_attribute_names("#gsk", GSI1_SK)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":created", s(order_status(OrderStatus::Created)))
            .send()
            .await;
        crate::table::written(parked, "UpdateItem")
    }

    pub async fn refund(&self, refund_no: &str) -> Result<Option<RefundRecord>, StoreError> {
        self.get(keys::refund(refund_no))
            .await?
            .map(|item| from_record(REFUND, item))
            .transpose()
    }

    /// Refunds not settled yet, oldest first.
    pub async fn pending_refunds(&self, limit: usize) -> Result<Vec<RefundRecord>, StoreError> {
        self.indexed(REFUND, keys::PENDING_REFUNDS, None, limit)
            .await
    }

    /// Stores a settled refund whose case cannot change (approved meanwhile, say).
    pub async fn settle_refund(&self, refund: &RefundRecord) -> Result<(), StoreError> {
        let item = self.along_item(&Along::SettledRefund(refund))?;
        self.transact(vec![item]).await.map_err(|failure| {
            failure.or_conflict(|_| StoreError::Conflict {
                entity: REFUND,
                id: refund.refund_no.clone(),
                expected: 0,
            })
        })
    }

    /// Keeps what WeChat Pay reported and the service would not act on, for an operator: once
    /// per reference and kind (the key derives from them), however often it is reported or
    /// asked about. Whether this was the first time.
    pub async fn record_anomaly(&self, anomaly: &PaymentAnomaly) -> Result<bool, StoreError> {
        let key = keys::anomaly(anomaly_kind(anomaly.kind), &anomaly.reference);
        let mut item = record(ANOMALY, key, anomaly)?;
        item.insert(GSI1_PK.into(), s(keys::ANOMALIES));
        item.insert(GSI1_SK.into(), s(anomaly.id.to_string()));
        let put = self.put(item, ABSENT, &[], &[])?;
        match self.transact(vec![put]).await {
            Ok(()) => Ok(true),
            Err(Transact::ConditionFailed(_)) => Ok(false),
            Err(Transact::Failed(e)) => Err(e),
        }
    }

    /// Up to `limit` anomalies, oldest first.
    pub async fn anomalies(&self, limit: usize) -> Result<Vec<PaymentAnomaly>, StoreError> {
        self.indexed(ANOMALY, keys::ANOMALIES, None, limit).await
    }

    async fn indexed<T: serde::de::DeserializeOwned>(
        &self,
        entity: &'static str,
        partition: &str,
        below: Option<&str>,
        limit: usize,
    ) -> Result<Vec<T>, StoreError> {
        self.query(Query {
            index: Some(GSI1),
            partition: (GSI1_PK, partition.to_owned()),
            sort_prefix: None,
            sort_below: below.map(|b| (GSI1_SK, b)),
            limit: Some(limit),
            newest_first: false,
        })
        .await?
        .into_iter()
        .map(|item| from_record(entity, item))
        .collect()
    }
}

/// The stored spelling of an anomaly kind (serde's), for its key.
fn anomaly_kind(kind: AnomalyKind) -> &'static str {
    match kind {
        AnomalyKind::UnknownOrder => "unknown_order",
        AnomalyKind::Mismatch => "mismatch",
        AnomalyKind::DoublePayment => "double_payment",
        AnomalyKind::LateRefund => "late_refund",
        AnomalyKind::RefundAbnormal => "refund_abnormal",
    }
}

/// The stored spelling of an order status (serde's), for conditions.
pub(crate) fn order_status(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Created => "created",
        OrderStatus::Paid => "paid",
        OrderStatus::Closed => "closed",
        OrderStatus::Refunded => "refunded",
    }
}
