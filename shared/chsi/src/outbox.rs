//! The S3 outbox: archives wait in our bucket until an authorised agency collects them.

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use crate::archive::Archive;
use crate::gateway::{ChsiGateway, Delivery, GatewayError, Receipt};

/// Writes `batches/<task_id>/<batch_id>.zip`. The key depends on the batch only, so a retry
/// overwrites the object with the same bytes instead of adding one.
#[derive(Debug, Clone)]
pub struct S3Outbox {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
}

impl S3Outbox {
    pub fn new(client: aws_sdk_s3::Client, bucket: String) -> Self {
        Self { client, bucket }
    }

    /// The object key of `archive` (the outbox layout in `store::objects`).
    pub fn key(archive: &Archive) -> String {
        format!("batches/{}/{}", archive.task_id, archive.file_name)
    }

    async fn put(&self, archive: &Archive) -> Result<Receipt, GatewayError> {
        let key = Self::key(archive);
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .body(ByteStream::from(archive.bytes.clone()))
            .content_type("application/zip")
            // Lets the agency check what it downloads without opening the archive.
            .metadata("sha256", &archive.sha256)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("{}", DisplayErrorContext(e))))?;
        tracing::info!(batch_id = %archive.batch_id, %key, "batch written to the outbox");
        Ok(Receipt {
            reference: format!("s3://{}/{key}", self.bucket),
        })
    }
}

impl ChsiGateway for S3Outbox {
    fn deliver<'a>(&'a self, archive: &'a Archive) -> Delivery<'a> {
        Box::pin(self.put(archive))
    }

    fn name(&self) -> &'static str {
        "s3-outbox"
    }
}
