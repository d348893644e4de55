//! Creates the resources of `infra/template.yaml` on a local stack: the table with both GSIs,
//! TTL and its stream, the four buckets (uploads, photos, outbox, console), the uploads queue with its dead-letter queue, and
//! the uploads → queue notification. moto's CloudFormation drops the notification and the TTL,
//! so they are made here directly; a test checks that the table matches the template.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_s3::types::{
    CorsConfiguration, CorsRule, Event, NotificationConfiguration, QueueConfiguration,
};
use aws_sdk_sqs::types::QueueAttributeName;
use store::keys::{
    EXPIRES_AT, GSI1, GSI1_PK, GSI1_SK, GSI2, GSI2_PK, GSI2_SK, GSI3, GSI3_PK, GSI3_SK, PK, SK,
};

use crate::Error;

/// After this many failed receives a message goes to the dead-letter queue (DESIGN §4).
pub const MAX_RECEIVES: u32 = 5;

/// The names of one set of resources. Tests use a unique prefix each, the demo a fixed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub table: String,
    pub uploads_bucket: String,
    pub photos_bucket: String,
    pub outbox_bucket: String,
    /// The reviewers' console's files (`console/site`), served by the review function.
    pub console_bucket: String,
    pub uploads_queue: String,
    pub dead_letter_queue: String,
}

impl Names {
    /// Names under `prefix`, which must be lower case letters, digits and '-' (bucket rules).
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            table: format!("{prefix}-table"),
            uploads_bucket: format!("{prefix}-uploads"),
            photos_bucket: format!("{prefix}-photos"),
            outbox_bucket: format!("{prefix}-outbox"),
            console_bucket: format!("{prefix}-console"),
            uploads_queue: format!("{prefix}-uploads"),
            dead_letter_queue: format!("{prefix}-uploads-dlq"),
        }
    }
}

/// What was created, with the identifiers AWS assigned.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub names: Names,
    pub uploads_queue_url: String,
    pub dead_letter_queue_url: String,
    pub table_stream_arn: String,
}

pub async fn provision(sdk: &aws_config::SdkConfig, names: &Names) -> Result<Provisioned, Error> {
    let table_stream_arn = create_table(&aws_sdk_dynamodb::Client::new(sdk), &names.table).await?;
    let s3 = store::s3_client(sdk);
    for bucket in [
        &names.uploads_bucket,
        &names.photos_bucket,
        &names.outbox_bucket,
        &names.console_bucket,
    ] {
        s3.create_bucket().bucket(bucket).send().await?;
    }
    // As the template's: clients PUT from other origins (the console's retouchers from the
    // browser), the presigned URL's signature being the access control.
    s3.put_bucket_cors()
        .bucket(&names.uploads_bucket)
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(
                    CorsRule::builder()
                        .allowed_methods("PUT")
                        .allowed_origins("*")
                        .allowed_headers("Content-Type")
                        .allowed_headers("Content-Length")
                        .expose_headers("ETag")
                        .max_age_seconds(3000)
                        .build()?,
                )
                .build()?,
        )
        .send()
        .await?;
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let (uploads_queue_url, dead_letter_queue_url) = create_queues(&sqs, names).await?;
    let queue_arn = queue_arn(&sqs, &uploads_queue_url).await?;
    s3.put_bucket_notification_configuration()
        .bucket(&names.uploads_bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .queue_arn(queue_arn)
                        .events(Event::from("s3:ObjectCreated:*"))
                        .build()?,
                )
                .build(),
        )
        .send()
        .await?;
    Ok(Provisioned {
        names: names.clone(),
        uploads_queue_url,
        dead_letter_queue_url,
        table_stream_arn,
    })
}

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, Error> {
    Ok(KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()?)
}

fn string_attribute(name: &str) -> Result<AttributeDefinition, Error> {
    Ok(AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()?)
}

fn index(name: &str, pk: &str, sk: &str) -> Result<GlobalSecondaryIndex, Error> {
    Ok(GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(pk, KeyType::Hash)?)
        .key_schema(key(sk, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()?)
}

/// Returns the stream ARN.
async fn create_table(ddb: &aws_sdk_dynamodb::Client, table: &str) -> Result<String, Error> {
    let mut create = ddb
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .global_secondary_indexes(index(GSI1, GSI1_PK, GSI1_SK)?)
        .global_secondary_indexes(index(GSI2, GSI2_PK, GSI2_SK)?)
        .global_secondary_indexes(index(GSI3, GSI3_PK, GSI3_SK)?)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()?,
        );
    for name in [PK, SK, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, GSI3_PK, GSI3_SK] {
        create = create.attribute_definitions(string_attribute(name)?);
    }
    let output = create.send().await?;
    ddb.update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(EXPIRES_AT)
                .build()?,
        )
        .send()
        .await?;
    Ok(output
        .table_description
        .and_then(|t| t.latest_stream_arn)
        .ok_or("CreateTable answered without the stream's ARN")?)
}

async fn create_queues(
    sqs: &aws_sdk_sqs::Client,
    names: &Names,
) -> Result<(String, String), Error> {
    let dlq_url = sqs
        .create_queue()
        .queue_name(&names.dead_letter_queue)
        .send()
        .await?
        .queue_url
        .ok_or("CreateQueue returned no URL")?;
    let dlq_arn = queue_arn(sqs, &dlq_url).await?;
    let redrive =
        format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{MAX_RECEIVES}"}}"#);
    let url = sqs
        .create_queue()
        .queue_name(&names.uploads_queue)
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        // As in the template: six times the processor's timeout.
        .attributes(QueueAttributeName::VisibilityTimeout, "360")
        .send()
        .await?
        .queue_url
        .ok_or("CreateQueue returned no URL")?;
    Ok((url, dlq_url))
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String, Error> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?;
    attributes
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| "GetQueueAttributes returned no ARN".into())
}
