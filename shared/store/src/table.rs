//! The DynamoDB side of the store: one table, typed records, conditional writes.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem, Update};
use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreError;
use crate::crypto::PiiKeys;
use crate::keys::{ENTITY, PK, SK};

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The service's single table, with the keys that seal personal data on the way in where
/// the function holds them.
#[derive(Debug, Clone)]
pub struct Table {
    pub(crate) ddb: aws_sdk_dynamodb::Client,
    pub(crate) name: String,
    pii: Option<PiiKeys>,
}

impl Table {
    pub fn new(ddb: aws_sdk_dynamodb::Client, name: impl Into<String>, pii: PiiKeys) -> Self {
        Self::with_keys(ddb, name, Some(pii))
    }

    /// A table for a function that handles no personal data (the payment webhook, the
    /// reconciler, the notifier): anything that would seal or open some fails.
    pub fn without_pii(ddb: aws_sdk_dynamodb::Client, name: impl Into<String>) -> Self {
        Self::with_keys(ddb, name, None)
    }

    pub(crate) fn with_keys(
        ddb: aws_sdk_dynamodb::Client,
        name: impl Into<String>,
        pii: Option<PiiKeys>,
    ) -> Self {
        Self {
            ddb,
            name: name.into(),
            pii,
        }
    }

    /// The personal-data keys, or why this function cannot seal or open personal data.
    pub(crate) fn pii(&self) -> Result<&PiiKeys, StoreError> {
        self.pii
            .as_ref()
            .ok_or_else(|| StoreError::Config("this function holds no personal-data key".into()))
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

    /// The record under `key`, or [`StoreError::NotFound`] naming it by `id`.
    pub(crate) async fn load<T: DeserializeOwned>(
        &self,
        entity: &'static str,
        key: (String, String),
        id: impl std::fmt::Display,
    ) -> Result<T, StoreError> {
        match self.get(key).await? {
            Some(item) => from_record(entity, item),
            None => Err(StoreError::NotFound {
                entity,
                id: id.to_string(),
            }),
        }
    }

    /// All items under one partition key (of the table or an index), optionally with a sort
    /// key prefix, in sort-key order; follows pages until `limit` items or the end.
    pub(crate) async fn query(&self, q: Query<'_>) -> Result<Vec<Item>, StoreError> {
        self.query_attributes(q, &[]).await
    }

    /// [`Table::query`] reading only `attributes` of each item (all of them when empty).
    pub(crate) async fn query_attributes(
        &self,
        q: Query<'_>,
        attributes: &[&str],
    ) -> Result<Vec<Item>, StoreError> {
        let (pk_name, pk_value) = q.partition;
        let mut condition = "#pk = :pk".to_owned();
        let mut request = self
            .ddb
            .query()
            .table_name(&self.name)
            .set_index_name(q.index.map(str::to_owned))
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", s(pk_value))
            // Indexes are eventually consistent by nature; the table can do better.
            .consistent_read(q.index.is_none())
            .scan_index_forward(!q.newest_first);
        if let Some((sk_name, prefix)) = q.sort_prefix {
            condition.push_str(" AND begins_with(#sk, :prefix)");
            request = request
                .expression_attribute_names("#sk", sk_name)
                .expression_attribute_values(":prefix", s(prefix));
        } else if let Some((sk_name, below)) = q.sort_below {
            condition.push_str(" AND #sk < :below");
            request = request
                .expression_attribute_names("#sk", sk_name)
                .expression_attribute_values(":below", s(below));
        }
        if !attributes.is_empty() {
            let mut projection = Vec::with_capacity(attributes.len());
            for (i, name) in attributes.iter().enumerate() {
                projection.push(format!("#a{i}"));
                request = request.expression_attribute_names(format!("#a{i}"), *name);
            }
            request = request.projection_expression(projection.join(", "));
        }
        let request = request.key_condition_expression(condition);
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = request
                .clone()
                .set_exclusive_start_key(start)
                .set_limit(q.limit.map(|l| (l - items.len()) as i32))
                .send()
                .await
                .map_err(|e| StoreError::dynamodb("Query", e))?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() || q.limit.is_some_and(|l| items.len() >= l) {
                return Ok(items);
            }
        }
    }

    /// The sort key values of `partition`'s items, in order, read without the rest of the
    /// items: a listing of thousands costs little to transfer.
    pub(crate) async fn sort_keys(
        &self,
        index: Option<&str>,
        partition: (&str, String),
        sort_key: &str,
    ) -> Result<Vec<String>, StoreError> {
        let (pk_name, pk_value) = partition;
        let request = self
            .ddb
            .query()
            .table_name(&self.name)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression("#pk = :pk")
            .projection_expression("#sk")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_names("#sk", sort_key)
            .expression_attribute_values(":pk", s(pk_value));
        let mut keys = Vec::new();
        let mut start = None;
        loop {
            let output = request
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| StoreError::dynamodb("Query", e))?;
            keys.extend(
                output
                    .items
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|mut item| match item.remove(sort_key) {
                        Some(AttributeValue::S(value)) => Some(value),
                        _ => None,
                    }),
            );
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(keys);
            }
        }
    }

    /// The items under `keys` (at most 100), in no particular order; missing ones are left
    /// out. Unprocessed keys are asked for again with back-off.
    pub(crate) async fn batch_get(
        &self,
        keys: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Vec<Item>, StoreError> {
        let keys: Vec<Item> = keys
            .into_iter()
            .map(|(pk, sk)| HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))]))
            .collect();
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(StoreError::request)?,
        );
        let mut items = Vec::new();
        let mut waits = Throttled::waits();
        while let Some(request) = pending.take().filter(|r| !r.keys().is_empty()) {
            let output = self
                .ddb
                .batch_get_item()
                .request_items(&self.name, request)
                .send()
                .await
                .map_err(|e| StoreError::dynamodb("BatchGetItem", e))?;
            items.extend(
                output
                    .responses
                    .and_then(|mut r| r.remove(&self.name))
                    .unwrap_or_default(),
            );
            pending = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.name));
            if pending.is_some() {
                waits.next_or_fail("BatchGetItem").await?;
            }
        }
        Ok(items)
    }

    /// Writes an item whose content depends only on its key, so a repeat is harmless.
    pub(crate) async fn put_unconditional(&self, item: Item) -> Result<(), StoreError> {
        self.ddb
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::dynamodb("PutItem", e))?;
        Ok(())
    }

    /// Deletes the item at `key`, if there is one.
    pub(crate) async fn delete_unconditional(
        &self,
        (pk, sk): (String, String),
    ) -> Result<(), StoreError> {
        self.ddb
            .delete_item()
            .table_name(&self.name)
            .key(PK, AttributeValue::S(pk))
            .key(SK, AttributeValue::S(sk))
            .send()
            .await
            .map_err(|e| StoreError::dynamodb("DeleteItem", e))?;
        Ok(())
    }

    /// Deletes the item at `key` if its `attribute` is `value`; whether it did (false too when
    /// there is no such item).
    pub(crate) async fn delete_if(
        &self,
        (pk, sk): (String, String),
        attribute: &str,
        value: &str,
    ) -> Result<bool, StoreError> {
        let deleted = self
            .ddb
            .delete_item()
            .table_name(&self.name)
            .key(PK, AttributeValue::S(pk))
            .key(SK, AttributeValue::S(sk))
            .condition_expression("#a = :v")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":v", AttributeValue::S(value.to_owned()))
            .send()
            .await;
        written(deleted, "DeleteItem")
    }

    /// An UpdateItem of the item at `key` in this table, to be given its expressions.
    pub(crate) fn update(&self, (pk, sk): (String, String)) -> UpdateItemFluentBuilder {
        self.ddb
            .update_item()
            .table_name(&self.name)
            .key(PK, AttributeValue::S(pk))
            .key(SK, AttributeValue::S(sk))
    }

    /// The `Update` of a transaction at `key`, to be given its expressions.
    pub(crate) fn update_parts(&self, (pk, sk): (String, String)) -> UpdateBuilder {
        Update::builder()
            .table_name(&self.name)
            .key(PK, AttributeValue::S(pk))
            .key(SK, AttributeValue::S(sk))
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
        let put = put.build().map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// An unconditional put, as one item of a transaction whose other items decide.
    pub(crate) fn put_any(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.name)
            .set_item(Some(item))
            .build()
            .map_err(StoreError::request)?;
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

/// Whether a conditional write went through: `false` when its condition failed.
pub(crate) fn written<T, E>(
    result: Result<T, SdkError<E, HttpResponse>>,
    operation: &'static str,
) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error().and_then(|e| e.code())
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(e) => Err(StoreError::dynamodb(operation, e)),
    }
}

/// What [`Table::query`] reads.
pub(crate) struct Query<'a> {
    pub index: Option<&'a str>,
    /// Partition key attribute and value.
    pub partition: (&'a str, String),
    /// Sort key attribute and the prefix its values must start with.
    pub sort_prefix: Option<(&'a str, &'a str)>,
    /// Sort key attribute and a value its values must sort before.
    pub sort_below: Option<(&'a str, &'a str)>,
    pub limit: Option<usize>,
    /// Sort keys descending (the latest first, where they start with a time).
    pub newest_first: bool,
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

/// What is left unprocessed of a batch (DynamoDB throttled part of it) is sent again after
/// these waits: exponential from 50 ms, jittered so that parallel importers do not retry in
/// step, eight times; then the call fails.
pub(crate) struct Throttled(ExponentialBackoff);

impl Throttled {
    pub(crate) fn waits() -> Self {
        Self(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(50))
                .with_max_delay(Duration::from_secs(3))
                .with_max_times(8)
                .with_jitter()
                .build(),
        )
    }

    /// Waits before the next resend, or fails `operation` once the waits are used up.
    pub(crate) async fn next_or_fail(&mut self, operation: &'static str) -> Result<(), StoreError> {
        let wait = self.0.next().ok_or_else(|| {
            StoreError::dynamodb(
                operation,
                "items still unprocessed after retries (throttled)",
            )
        })?;
        tokio::time::sleep(wait).await;
        Ok(())
    }
}
