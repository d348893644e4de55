//! Reading the table's stream: audit events are inserted once and never changed, so only a new
//! `event` item is news; every other item and every change or removal passes by.

use aws_lambda_events::event::dynamodb::EventRecord;
use domain::Event;
use serde_dynamo::AttributeValue;

/// The `entity` of audit event items (see `store::keys`).
const EVENT_ENTITY: &str = "event";

/// An event item whose image does not read as [`Event`]. The message names the item by its
/// sort key only (a version), never by its content.
#[derive(Debug, thiserror::Error)]
// serde's message can quote a value (an openid in `actor`), so only the key is shown.
#[error("unreadable audit event {sk}")]
pub struct Unreadable {
    pub sk: String,
    #[source]
    pub source: serde_dynamo::Error,
}

/// The audit event `record` inserted, if it inserted one.
pub fn inserted_event(record: &EventRecord) -> Result<Option<Event>, Unreadable> {
    let image = &record.change.new_image;
    let text = |name: &str| match image.inner().get(name) {
        Some(AttributeValue::S(value)) => Some(value.as_str()),
        _ => None,
    };
    if record.event_name != "INSERT" || text("entity") != Some(EVENT_ENTITY) {
        return Ok(None);
    }
    serde_dynamo::from_item(image.clone())
        .map(Some)
        .map_err(|source| Unreadable {
            sk: text("sk").unwrap_or_default().to_owned(),
            source,
        })
}
