//! The table's stream read the way Lambda's event source mapping reads it: DescribeStream for
//! the shards, a position per shard kept between reads, GetRecords until a shard has nothing
//! new. Each read comes back as the JSON a stream-triggered function receives, so tests and the
//! local journey can hand real stream records to a handler.

use std::collections::HashMap;

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use serde_json::{Value, json};

use crate::Error;

/// Where a new reader starts in each shard that exists when it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// Everything the stream still holds.
    TrimHorizon,
    /// Only what is written after the reader opened.
    Latest,
}

/// A reader of one table's stream.
///
/// It keeps a position per shard (the last sequence number read), never a shard iterator:
/// DynamoDB's iterators expire after 15 minutes, and moto's stop seeing new records once a
/// failed transaction has rolled the table back. Each read asks for a fresh iterator after
/// the position, as Lambda's poller resumes from its checkpoint.
pub struct TableStream {
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    positions: HashMap<String, Position>,
}

#[derive(Debug, Clone, Default)]
struct Position {
    /// The last sequence number read; `None`: read from the shard's beginning.
    after: Option<String>,
    /// A closed shard read to its end.
    finished: bool,
}

impl TableStream {
    /// Opens the stream `arn`, positioned at `start` in every shard it has now. Shards that
    /// appear later are read from their beginning.
    pub async fn open(
        sdk: &aws_config::SdkConfig,
        arn: &str,
        start: StartAt,
    ) -> Result<Self, Error> {
        let mut stream = Self {
            client: aws_sdk_dynamodbstreams::Client::new(sdk),
            arn: arn.to_owned(),
            positions: HashMap::new(),
        };
        if start == StartAt::Latest {
            // Reading what is there moves every position to its end.
            stream.read().await?;
        }
        Ok(stream)
    }

    /// The records written since the last read (or since opening), oldest first per shard, as
    /// `{"Records": [...]}` in the shape `aws_lambda_events::event::dynamodb::Event` reads.
    pub async fn read(&mut self) -> Result<Value, Error> {
        let mut records = Vec::new();
        for shard in self.shards().await? {
            let position = self.positions.entry(shard.clone()).or_default().clone();
            if position.finished {
                continue;
            }
            let request = self
                .client
                .get_shard_iterator()
                .stream_arn(&self.arn)
                .shard_id(&shard);
            let request = match &position.after {
                Some(sequence) => request
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(sequence),
                None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            };
            let mut iterator = request.send().await?.shard_iterator;
            while let Some(current) = iterator {
                let output = self
                    .client
                    .get_records()
                    .shard_iterator(current)
                    .send()
                    .await?;
                let read = output.records.unwrap_or_default();
                let position = self.positions.entry(shard.clone()).or_default();
                if let Some(last) = read
                    .last()
                    .and_then(|r| r.dynamodb.as_ref()?.sequence_number.clone())
                {
                    position.after = Some(last);
                }
                // A closed shard has no next iterator; an open one always has.
                position.finished = output.next_shard_iterator.is_none();
                records.extend(read.iter().map(|r| lambda_record(r, &self.arn)));
                if read.is_empty() {
                    break;
                }
                iterator = output.next_shard_iterator;
            }
        }
        Ok(json!({ "Records": records }))
    }

    /// The stream's shards, in order of their ids.
    async fn shards(&self) -> Result<Vec<String>, Error> {
        let description = self
            .client
            .describe_stream()
            .stream_arn(&self.arn)
            .send()
            .await?
            .stream_description
            .ok_or("DescribeStream returned no description")?;
        let mut shards: Vec<String> = description
            .shards
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| s.shard_id)
            .collect();
        shards.sort();
        Ok(shards)
    }
}

/// One stream record as Lambda delivers it: the images in DynamoDB JSON (`{"S": "…"}`).
fn lambda_record(record: &Record, arn: &str) -> Value {
    let change = record.dynamodb.as_ref();
    let image = |image: Option<&HashMap<String, AttributeValue>>| -> Value {
        let image: HashMap<&str, serde_dynamo::AttributeValue> = image
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.as_str(), value.clone().into()))
            .collect();
        serde_json::to_value(image).expect("attribute values serialise")
    };
    let mut dynamodb = json!({
        "Keys": image(change.and_then(|c| c.keys.as_ref())),
        "SequenceNumber": change.and_then(|c| c.sequence_number.as_deref()),
        "SizeBytes": change.and_then(|c| c.size_bytes).unwrap_or_default(),
        "StreamViewType": change.and_then(|c| c.stream_view_type.as_ref()).map(|v| v.as_str()),
    });
    if let Some(at) = change.and_then(|c| c.approximate_creation_date_time) {
        dynamodb["ApproximateCreationDateTime"] = json!(at.as_secs_f64());
    }
    // Lambda leaves out an image the view type or the operation does not have.
    for (name, value) in [
        ("NewImage", change.and_then(|c| c.new_image.as_ref())),
        ("OldImage", change.and_then(|c| c.old_image.as_ref())),
    ] {
        if value.is_some() {
            dynamodb[name] = image(value);
        }
    }
    json!({
        "eventID": record.event_id,
        "eventName": record.event_name.as_ref().map(|n| n.as_str()),
        "eventVersion": record.event_version,
        "eventSource": "aws:dynamodb",
        "awsRegion": record.aws_region.as_deref().unwrap_or(crate::REGION),
        "eventSourceARN": arn,
        "dynamodb": dynamodb,
    })
}

/// The event filters of `function`'s stream source in `infra/template.yaml`, so a local pump
/// hands a function exactly the records Lambda's event source mapping would.
pub fn template_filters(function: &str) -> Result<Vec<Value>, Error> {
    let template = crate::template();
    let events = template["Resources"][function]["Properties"]["Events"]
        .as_object()
        .ok_or_else(|| format!("{function} has no events in the template"))?;
    let source = events
        .values()
        .find(|e| e["Type"] == "DynamoDB")
        .ok_or_else(|| format!("{function} has no DynamoDB stream source"))?;
    source["Properties"]["FilterCriteria"]["Filters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let pattern = f["Pattern"].as_str().ok_or("a filter without a pattern")?;
            Ok(serde_json::from_str(pattern)?)
        })
        .collect()
}

/// Whether `record` passes any of `filters` (none: every record passes). A pattern is
/// Lambda's: objects nest, and an array lists the values a field may have.
pub fn passes(filters: &[Value], record: &Value) -> bool {
    fn matches(pattern: &Value, value: &Value) -> bool {
        match pattern {
            Value::Object(fields) => fields
                .iter()
                .all(|(name, p)| value.get(name).is_some_and(|v| matches(p, v))),
            Value::Array(allowed) => allowed.contains(value),
            other => other == value,
        }
    }
    filters.is_empty() || filters.iter().any(|f| matches(f, record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_lets_through_only_the_values_it_lists() {
        let filters = [
            json!({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"entity": {"S": ["event"]}}}}),
        ];
        let record = |name: &str, entity: &str| json!({"eventName": name, "dynamodb": {"NewImage": {"entity": {"S": entity}, "pk": {"S": "x"}}}});
        assert!(passes(&filters, &record("INSERT", "event")));
        assert!(!passes(&filters, &record("MODIFY", "event")));
        assert!(!passes(&filters, &record("INSERT", "collection")));
        assert!(!passes(
            &filters,
            &json!({"eventName": "REMOVE", "dynamodb": {}})
        ));
        assert!(passes(&[], &record("REMOVE", "lease")));
    }
}
