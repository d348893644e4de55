//! Short-lived items: idempotency records and webhook nonces. Both carry `expires_at` for
//! DynamoDB's TTL, and both treat an expired item as absent in their conditions, because TTL
//! deletion may lag by up to two days (and never happens on a local stack).

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValue;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::keys::{self, EXPIRES_AT};
use crate::table::{Item, Table, from_record, n, record, s};

const IDEMPOTENCY: &str = "idempotency";
const NONCE: &str = "nonce";
const FAILURES: &str = "failures";
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
    async fn put_if_absent_or_expired(
        &self,
        item: Item,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let result = self
            .ddb
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(ABSENT_OR_EXPIRED)
            .expression_attribute_names("#expires_at", EXPIRES_AT)
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .send()
            .await;
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

/// Failure counters count in fixed windows: simple, one item per window, and a student
/// locked out by a burst of wrong guesses is free again when the window turns.
#[derive(Serialize, Deserialize)]
struct FailureWindow {
    count: u32,
}

fn window_start(now: OffsetDateTime, window: Duration) -> i64 {
    let width = window.as_secs().max(1) as i64;
    now.unix_timestamp().div_euclid(width) * width
}

impl Table {
    /// Adds one failure of `key` (a student, say) in `scope` to the current window of width
    /// `window` and returns the window's count including it.
    pub async fn record_failure(
        &self,
        scope: &str,
        key: &str,
        window: Duration,
        now: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        check_scope(scope)?;
        let start = window_start(now, window);
        let (pk, sk) = keys::failures(scope, key, start);
        let output = self
            .ddb
            .update_item()
            .table_name(&self.name)
            .key(keys::PK, s(pk))
            .key(keys::SK, s(sk))
            .update_expression("ADD #count :one SET #expires_at = :expires, #entity = :entity")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#expires_at", EXPIRES_AT)
            .expression_attribute_names("#entity", keys::ENTITY)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":expires", n(start + window.as_secs() as i64))
            .expression_attribute_values(":entity", s(FAILURES))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| StoreError::dynamodb("UpdateItem", e))?;
        let counted: FailureWindow = from_record(FAILURES, output.attributes.unwrap_or_default())?;
        Ok(counted.count)
    }

    /// The failures of `key` in `scope` counted in the current window.
    pub async fn failures(
        &self,
        scope: &str,
        key: &str,
        window: Duration,
        now: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        check_scope(scope)?;
        let start = window_start(now, window);
        match self.get(keys::failures(scope, key, start)).await? {
            Some(item) => Ok(from_record::<FailureWindow>(FAILURES, item)?.count),
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

/// Whether a conditional PutItem was written (`false`: its condition did not hold).
pub(crate) fn condition_held<T>(
    result: Result<T, SdkError<PutItemError>>,
) -> Result<bool, StoreError> {
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
        {
            Ok(false)
        }
        Err(e) => Err(StoreError::dynamodb("PutItem", e)),
    }
}
