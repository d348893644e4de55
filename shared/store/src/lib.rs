//! Storage of the service: the single DynamoDB table (DESIGN §3), sealed personal data, the S3
//! key scheme and presigned uploads. Handlers build one [`Store`] per container and share it.

mod access;
mod along;
mod batches;
#[cfg(feature = "bulk")]
mod bulk;
mod cards;
pub mod clock;
mod collections;
mod consents;
pub mod crypto;
mod enrollments;
mod erasure;
mod error;
mod evidence;
mod expiring;
mod faces;
pub mod keys;
mod leases;
pub mod logging;
mod notices;
pub mod objects;
mod payments;
mod prints;
mod processing;
mod purges;
mod requests;
mod reviews;
mod staff;
mod students;
mod table;
mod tasks;
pub mod timing;

pub use access::Access;
pub use along::Along;
pub use clock::Clock;
pub use collections::{Opened, QueueEntry, UpdateError};
pub use crypto::{CryptoError, PiiKeys};
pub use erasure::{Erased, ErasureProgress, Footprint};
pub use error::StoreError;
pub use evidence::{Checked, Digest, PortraitChecked, RetouchedKey, approved_photo_key};
pub use expiring::{Claim, Reserved};
pub use faces::FaceOf;
pub use leases::LeaseError;
pub use notices::{Notice, NoticeKind, NoticeOutcome};
pub use objects::{Buckets, ImageType, Objects, PresignedGet, PresignedUpload, Shelf, UploadKey};
pub use prints::{PrintBatch, SheetRecord};
pub use processing::Processing;
pub use purges::PurgeLog;
pub use requests::{ApproveError, OperatorRequest, RequestDecision, RequestKind, RequestStatus};
pub use reviews::ReviewTally;
pub use table::Table;

/// Everything a function needs to read and write the service's data.
#[derive(Debug, Clone)]
pub struct Store {
    pub table: Table,
    pub objects: Objects,
    /// The time handlers act at; the objects' presigned URLs are signed at it too.
    pub clock: Clock,
}

/// Where the data lives, from the environment the SAM template (or the local stack) sets.
#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    pub buckets: Buckets,
    /// `None` in functions that handle no personal data: they are not given the key.
    pub pii: Option<PiiKeys>,
}

impl Config {
    /// Reads `TABLE_NAME`, `UPLOADS_BUCKET`, `PHOTOS_BUCKET` and `OUTBOX_BUCKET`, for a
    /// function that handles no personal data: it never reads the key that opens it.
    pub async fn load(_sdk: &aws_config::SdkConfig) -> Result<Self, StoreError> {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| StoreError::Config(format!("{name} is not set")))
        };
        Ok(Self {
            table: var("TABLE_NAME")?,
            buckets: Buckets {
                uploads: var("UPLOADS_BUCKET")?,
                photos: var("PHOTOS_BUCKET")?,
                outbox: var("OUTBOX_BUCKET")?,
            },
            pii: None,
        })
    }

    /// As [`Config::load`], with the personal-data master key (base64 of 32 bytes):
    /// `PII_KEY` on a local stack, or in the cloud the SSM SecureString named by
    /// `PII_KEY_PARAMETER`, which the template grants only to the functions that call this.
    pub async fn load_with_pii(sdk: &aws_config::SdkConfig) -> Result<Self, StoreError> {
        let pii = secret(sdk, "PII_KEY").await?;
        Ok(Self {
            pii: Some(PiiKeys::from_base64(&pii)?),
            ..Self::load(sdk).await?
        })
    }
}

/// A secret of the function's: the variable `name` itself on a local stack, or in the cloud
/// the SSM SecureString whose name is in `<name>_PARAMETER`, so that no secret sits in a
/// function's configuration. Read once at init.
pub async fn secret(sdk: &aws_config::SdkConfig, name: &str) -> Result<String, StoreError> {
    if let Ok(value) = std::env::var(name) {
        return Ok(value);
    }
    let parameter_var = format!("{name}_PARAMETER");
    let parameter = std::env::var(&parameter_var)
        .map_err(|_| StoreError::Config(format!("{name} or {parameter_var} must be set")))?;
    let output = aws_sdk_ssm::Client::new(sdk)
        .get_parameter()
        .name(&parameter)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| StoreError::Config(format!("reading {parameter} from SSM: {e}")))?;
    output
        .parameter
        .and_then(|p| p.value)
        .ok_or_else(|| StoreError::Config(format!("{parameter} has no value")))
}

impl Store {
    /// Builds the clients once, from the standard AWS configuration chain and the
    /// environment (`AWS_ENDPOINT_URL` points every client at a local stack), with the
    /// personal-data key.
    pub async fn from_env() -> Result<Self, StoreError> {
        let sdk = aws_config::load_from_env().await;
        let config = Config::load_with_pii(&sdk).await?;
        Ok(Self::with_sdk_config(&sdk, config))
    }

    /// On the wall clock.
    pub fn with_sdk_config(sdk: &aws_config::SdkConfig, config: Config) -> Self {
        Self::with_clock(sdk, config, Clock::system())
    }

    /// On `clock` (tests freeze it).
    pub fn with_clock(sdk: &aws_config::SdkConfig, config: Config, clock: Clock) -> Self {
        Self {
            table: Table::with_keys(dynamodb_client(sdk), config.table, config.pii),
            objects: Objects::new(s3_client(sdk), config.buckets, clock.clone()),
            clock,
        }
    }
}

/// A DynamoDB client whose calls are timed ([`timing`]).
fn dynamodb_client(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(sdk)
        .interceptor(timing::Timing)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// An S3 client whose calls are timed ([`timing`]). Against a local endpoint it addresses
/// buckets by path, because `<bucket>.127.0.0.1` does not resolve.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let s3 = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .interceptor(timing::Timing)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}
