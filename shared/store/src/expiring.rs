//! Short-lived items: idempotency records and webhook nonces. Both carry `expires_at` for
//! DynamoDB's TTL, and both treat an expired item as absent in their conditions, because TTL
//! deletion may lag by up to two days (and never happens on a local stack).

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::keys::{self, EXPIRES_AT};
use crate::table::{Item, Table, from_record, n, record, s};

const IDEMPOTENCY: &str = "idempotency";
const NONCE: &str = "nonce";
const COUNTER: &str = "counter";
/// Which put wrote an expiring item (see `put_if_absent_or_expired`).
const CLAIM: &str = "claim";
const ABSENT_OR_EXPIRED: &str = "attribute_not_exists(pk) OR #expires_at < :now";

/// What a caller learns when it claims an idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// First use (or the previous holder's lease ran out): do the work, then
    /// [`Table::complete_idempotency`].
    Fresh,
    /// Another request with this key is still running.
    InProgress,
    /// Done before: answer with the stored response.
    Completed(serde_json::Value),
    /// The key was used for a different request: refuse rather than replay the wrong answer.
    KeyReused,
}

#[derive(Serialize, Deserialize)]
struct IdempotencyRecord {
    /// A digest of the request, so a key reused for another request is not answered with the
    /// first one's response.
    fingerprint: String,
    /// The stored response, JSON-encoded; absent while the first request is running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<String>,
    expires_at: i64,
}

#[derive(Serialize, Deserialize)]
struct NonceRecord {
    expires_at: i64,
}

fn expiry(now: OffsetDateTime, ttl: Duration) -> i64 {
    (now + ttl).unix_timestamp()
}

impl Table {
    /// Puts `item` unless a live one holds its key; `true` when it was put. The item carries a
    /// claim of its own: the SDK sends a put again when its answer was lost, and that retry
    /// finds the first try's item (returned with the refusal, in the same atomic step), which
    /// is then known as this put's own and not a rival's.
    async fn put_if_absent_or_expired(
        &self,
        mut item: Item,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let claim = s(ulid::Ulid::new().to_string());
        item.insert(CLAIM.into(), claim.clone());
        let result = self
            .ddb
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(ABSENT_OR_EXPIRED)
            .expression_attribute_names("#expires_at", EXPIRES_AT)
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        if let Err(SdkError::ServiceError(e)) = &result
            && let PutItemError::ConditionalCheckFailedException(failed) = e.err()
        {
            return Ok(failed.item().and_then(|held| held.get(CLAIM)) == Some(&claim));
        }
        condition_held(result)
    }

    /// Claims `key` within `scope` (a route or consumer name, without `#`) for the request
    /// with `fingerprint`. The claim is a lease: if the holder dies before completing, the key
    /// is free again after `lease`.
    pub async fn claim_idempotency(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        lease: Duration,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        check_scope(scope)?;
        let record_ = IdempotencyRecord {
            fingerprint: fingerprint.to_owned(),
            response: None,
            expires_at: expiry(now, lease),
        };
        let item = record(IDEMPOTENCY, keys::idempotency(scope, key), &record_)?;
        if self.put_if_absent_or_expired(item, now).await? {
            return Ok(Claim::Fresh);
        }
        // Taken and not expired: it may have completed since.
        let Some(item) = self.get(keys::idempotency(scope, key)).await? else {
            return Ok(Claim::InProgress);
        };
        let stored: IdempotencyRecord = from_record(IDEMPOTENCY, item)?;
        if stored.fingerprint != fingerprint {
            return Ok(Claim::KeyReused);
        }
        match stored.response {
            Some(json) => serde_json::from_str(&json)
                .map(Claim::Completed)
                .map_err(|e| StoreError::corrupt(IDEMPOTENCY, e)),
            None => Ok(Claim::InProgress),
        }
    }

    /// Stores the response of a claimed key for `ttl`, so that repeats get the same answer.
    /// Only the holder of the claim may complete it, and only once.
    pub async fn complete_idempotency(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        response: &serde_json::Value,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        check_scope(scope)?;
        let record_ = IdempotencyRecord {
            fingerprint: fingerprint.to_owned(),
            response: Some(response.to_string()),
            expires_at: expiry(now, ttl),
        };
        let item = record(IDEMPOTENCY, keys::idempotency(scope, key), &record_)?;
        let result = self
            .ddb
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(
                "attribute_exists(pk) AND fingerprint = :fingerprint AND attribute_not_exists(#response)",
            )
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":fingerprint", s(fingerprint))
            .send()
            .await;
        if condition_held(result)? {
            Ok(())
        } else {
            Err(StoreError::Conflict {
                entity: IDEMPOTENCY,
                id: format!("{scope}/{key}"),
                expected: 0,
            })
        }
    }

    /// Remembers a nonce for `ttl`. Returns `false` if it was seen and has not expired: a
    /// replay (WeChat Pay notifications must be refused when their nonce repeats).
    pub async fn remember_nonce(
        &self,
        scope: &str,
        nonce: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        check_scope(scope)?;
        let item = record(
            NONCE,
            keys::nonce(scope, nonce),
            &NonceRecord {
                expires_at: expiry(now, ttl),
            },
        )?;
        self.put_if_absent_or_expired(item, now).await
    }
}

/// Counters count in fixed windows aligned to China time (UTC+8: an hourly window turns on
/// the hour, a daily one at midnight in China), one item per window; a student locked out by
/// a burst is free again when the window turns.
#[derive(Serialize, Deserialize)]
struct CounterWindow {
    count: u32,
}

const CHINA_OFFSET: i64 = 8 * 3600;

fn window_start(now: OffsetDateTime, window: Duration) -> i64 {
    let width = window.as_secs().max(1) as i64;
    (now.unix_timestamp() + CHINA_OFFSET).div_euclid(width) * width - CHINA_OFFSET
}

/// The answer to [`Table::reserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    /// Counted: go ahead.
    Granted,
    /// The window is full; nothing was counted. It turns at `resets_at`.
    Exhausted { resets_at: OffsetDateTime },
}

impl Table {
    /// Counts one use of `key` (a student, or a whole service) in `scope` in the current
    /// window, only if fewer than `limit` are counted there: the check and the count are one
    /// conditional write, so a burst of concurrent requests cannot get past the limit.
    pub async fn reserve(
        &self,
        scope: &str,
        key: &str,
        limit: u32,
        window: Duration,
        now: OffsetDateTime,
    ) -> Result<Reserved, StoreError> {
        check_scope(scope)?;
        let start = window_start(now, window);
        let result = self
            .update(keys::counter(scope, key, start))
            .update_expression("ADD #count :one SET #expires_at = :expires, #entity = :entity")
            .condition_expression("attribute_not_exists(#count) OR #count < :limit")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#expires_at", EXPIRES_AT)
            .expression_attribute_names("#entity", keys::ENTITY)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(i64::from(limit)))
            .expression_attribute_values(":expires", n(start + window.as_secs() as i64))
            .expression_attribute_values(":entity", s(COUNTER))
            .send()
            .await;
        if update_held(result)? {
            return Ok(Reserved::Granted);
        }
        let resets_at = OffsetDateTime::from_unix_timestamp(start + window.as_secs() as i64)
            .map_err(|e| StoreError::corrupt(COUNTER, e))?;
        Ok(Reserved::Exhausted { resets_at })
    }

    /// Gives back one use reserved in the current window (the guess was right, so it is not
    /// held against the student). Never below zero.
    pub async fn release(
        &self,
        scope: &str,
        key: &str,
        window: Duration,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        check_scope(scope)?;
        let result = self
            .update(keys::counter(scope, key, window_start(now, window)))
            .update_expression("ADD #count :minus_one")
            .condition_expression("#count > :zero")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":minus_one", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        // Not held: the window turned meanwhile, nothing to give back.
        update_held(result)?;
        Ok(())
    }

    /// The uses of `key` in `scope` counted in the current window.
    pub async fn counted(
        &self,
        scope: &str,
        key: &str,
        window: Duration,
        now: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        check_scope(scope)?;
        match self
            .get(keys::counter(scope, key, window_start(now, window)))
            .await?
        {
            Some(item) => Ok(from_record::<CounterWindow>(COUNTER, item)?.count),
            None => Ok(0),
        }
    }
}

/// Scopes are fixed names of ours; a `#` in one could make two keys share an item.
fn check_scope(scope: &str) -> Result<(), StoreError> {
    if scope.is_empty() || scope.contains('#') {
        return Err(StoreError::Invalid(
            "scope must be a non-empty name without '#'",
        ));
    }
    Ok(())
}

/// Whether a conditional UpdateItem was applied (`false`: its condition did not hold).
pub(crate) fn update_held<T>(
    result: Result<T, SdkError<UpdateItemError>>,
) -> Result<bool, StoreError> {
    held(result, "UpdateItem", |e| {
        matches!(e, UpdateItemError::ConditionalCheckFailedException(_))
    })
}

/// Whether a conditional PutItem was written (`false`: its condition did not hold).
pub(crate) fn condition_held<T>(
    result: Result<T, SdkError<PutItemError>>,
) -> Result<bool, StoreError> {
    held(result, "PutItem", |e| {
        matches!(e, PutItemError::ConditionalCheckFailedException(_))
    })
}

fn held<T, E>(
    result: Result<T, SdkError<E>>,
    operation: &'static str,
    condition_failed: impl Fn(&E) -> bool,
) -> Result<bool, StoreError>
where
    E: std::error::Error + Send + Sync + 'static,
    SdkError<E>: std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(e)) if condition_failed(e.err()) => Ok(false),
        Err(e) => Err(StoreError::dynamodb(operation, e)),
    }
}
