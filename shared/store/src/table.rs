//! The DynamoDB side of the store: one table, typed records, conditional writes.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreError;
use crate::crypto::PiiKeys;
use crate::keys::{ENTITY, PK, SK};

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The service's single table, with the keys that seal personal data on the way in.
#[derive(Debug, Clone)]
pub struct Table {
    pub(crate) ddb: aws_sdk_dynamodb::Client,
    pub(crate) name: String,
    pub(crate) pii: PiiKeys,
}

impl Table {
    pub fn new(ddb: aws_sdk_dynamodb::Client, name: impl Into<String>, pii: PiiKeys) -> Self {
        Self {
            ddb,
            name: name.into(),
            pii,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.ddb
    }

    pub(crate) async fn get(&self, (pk, sk): (String, String)) -> Result<Option<Item>, StoreError> {
        let output = self
            .ddb
            .get_item()
            .table_name(&self.name)
            .key(PK, AttributeValue::S(pk))
            .key(SK, AttributeValue::S(sk))
            // Reads that decide a transition must see the latest write.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::dynamodb("GetItem", e))?;
        Ok(output.item)
    }

    /// A `Put` of `item` in this table under `condition`, with its `#name`s and `:value`s.
    pub(crate) fn put(
        &self,
        item: Item,
        condition: &str,
        names: &[(&str, &str)],
        values: &[(&str, AttributeValue)],
    ) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(condition);
        for (placeholder, name) in names {
            put = put.expression_attribute_names(*placeholder, *name);
        }
        for (name, value) in values {
            put = put.expression_attribute_values(*name, value.clone());
        }
        let put = put
            .build()
            .map_err(|e| StoreError::dynamodb("TransactWriteItems", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Writes all items or none. Returns, for a cancelled transaction, which items' conditions
    /// failed (by position), so callers can say what the conflict was.
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), Transact> {
        match self
            .ddb
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => Err(classify(err)),
        }
    }
}

/// Why a transaction did not go through.
pub(crate) enum Transact {
    /// Conditions failed; `true` at the positions of the items whose condition failed. Empty
    /// when the service did not say which (then any of them may have failed).
    ConditionFailed(Vec<bool>),
    Failed(StoreError),
}

impl Transact {
    /// Turns a failed condition into `on_condition`, passing other failures through.
    pub(crate) fn or_conflict(
        self,
        on_condition: impl FnOnce(&[bool]) -> StoreError,
    ) -> StoreError {
        match self {
            Self::ConditionFailed(failed) => on_condition(&failed),
            Self::Failed(err) => err,
        }
    }
}

fn classify(err: SdkError<TransactWriteItemsError>) -> Transact {
    if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        err.as_service_error()
    {
        let reasons = cancelled.cancellation_reasons();
        // `TransactionConflict`: another transaction on the same item was in flight. Real
        // DynamoDB reports a lost race that way as often as by a failed condition.
        let failed: Vec<bool> = reasons
            .iter()
            .map(|r| {
                matches!(
                    r.code(),
                    Some("ConditionalCheckFailed" | "TransactionConflict")
                )
            })
            .collect();
        if reasons.is_empty() || failed.iter().any(|f| *f) {
            return Transact::ConditionFailed(failed);
        }
    }
    Transact::Failed(StoreError::dynamodb("TransactWriteItems", err))
}

/// Serialises a record and adds its keys and entity name.
pub(crate) fn record<T: Serialize>(
    entity: &'static str,
    (pk, sk): (String, String),
    value: &T,
) -> Result<Item, StoreError> {
    let mut item: Item =
        serde_dynamo::to_item(value).map_err(|e| StoreError::corrupt(entity, e))?;
    item.insert(PK.into(), AttributeValue::S(pk));
    item.insert(SK.into(), AttributeValue::S(sk));
    item.insert(ENTITY.into(), AttributeValue::S(entity.into()));
    Ok(item)
}

pub(crate) fn from_record<T: DeserializeOwned>(
    entity: &'static str,
    item: Item,
) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::corrupt(entity, e))
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A condition that the item does not exist yet.
pub(crate) const ABSENT: &str = "attribute_not_exists(pk)";
