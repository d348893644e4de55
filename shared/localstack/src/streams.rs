//! The table's stream read the way Lambda's event source mapping reads it: DescribeStream for
//! the shards, one iterator per shard kept between reads, GetRecords until a shard has nothing
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
pub struct TableStream {
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    /// Per shard, where to go on reading; `None` once a closed shard has been read to its end.
    iterators: HashMap<String, Option<String>>,
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
            iterators: HashMap::new(),
        };
        let kind = match start {
            StartAt::TrimHorizon => ShardIteratorType::TrimHorizon,
            StartAt::Latest => ShardIteratorType::Latest,
        };
        stream.discover(kind).await?;
        Ok(stream)
    }

    /// The records written since the last read (or since opening), oldest first per shard, as
    /// `{"Records": [...]}` in the shape `aws_lambda_events::event::dynamodb::Event` reads.
    pub async fn read(&mut self) -> Result<Value, Error> {
        self.discover(ShardIteratorType::TrimHorizon).await?;
        let mut records = Vec::new();
        let mut shards: Vec<String> = self.iterators.keys().cloned().collect();
        shards.sort();
        for shard in shards {
            while let Some(Some(iterator)) = self.iterators.get(&shard).cloned() {
                let output = self
                    .client
                    .get_records()
                    .shard_iterator(iterator)
                    .send()
                    .await?;
                let read = output.records.unwrap_or_default();
                let done = read.is_empty();
                records.extend(read.iter().map(|r| lambda_record(r, &self.arn)));
                // A closed shard has no next iterator; an open one always has.
                self.iterators
                    .insert(shard.clone(), output.next_shard_iterator);
                if done {
                    break;
                }
            }
        }
        Ok(json!({ "Records": records }))
    }

    /// Adds an iterator of type `kind` for each shard not seen yet.
    async fn discover(&mut self, kind: ShardIteratorType) -> Result<(), Error> {
        let description = self
            .client
            .describe_stream()
            .stream_arn(&self.arn)
            .send()
            .await?
            .stream_description
            .ok_or("DescribeStream returned no description")?;
        for shard in description.shards.unwrap_or_default() {
            let Some(id) = shard.shard_id else { continue };
            if self.iterators.contains_key(&id) {
                continue;
            }
            let iterator = self
                .client
                .get_shard_iterator()
                .stream_arn(&self.arn)
                .shard_id(&id)
                .shard_iterator_type(kind.clone())
                .send()
                .await?
                .shard_iterator;
            self.iterators.insert(id, iterator);
        }
        Ok(())
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
