//! S3 object keys and presigned uploads (DESIGN §3).
//!
//! Keys are built from ULIDs only: unguessable, and free of anything personal, because keys
//! show up in S3 events, access logs and our own traces.
//!
//! | bucket  | key                                   | what                         |
//! |---------|---------------------------------------|------------------------------|
//! | uploads | `attempts/<collection>/<attempt>`     | a student's original photo   |
//! | uploads | `portraits/<portrait>`                | an ID-card portrait          |
//! | photos  | `checked/<collection>/<attempt>/<sha256>` | the bytes the engine read |
//! | photos  | `standardised/<collection>/<attempt>/<sha256>.jpg` | the 480×640 result |
//! | photos  | `reports/<collection>/<attempt>/<sha256>.json` | the check report     |
//!
//! The photos bucket is written only by the photo processor; its keys name the sha256 of
//! the upload they were made from ([`crate::Checked`]).
//! | outbox  | `batches/<task>/<batch>.zip`          | one publish batch            |

use std::fmt;
use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use domain::{AttemptId, BatchId, CollectionId, PortraitId, TaskId};
use time::OffsetDateTime;

use crate::{Clock, StoreError};

/// Presigned URLs live at most this long (DESIGN §3): long enough for a phone on a slow
/// campus network to start the upload, short enough that a leaked URL is soon useless.
pub const PRESIGN_TTL: Duration = Duration::from_secs(300);

/// Largest photo a student may upload (the engine refuses bigger files too).
pub const MAX_UPLOAD_BYTES: u64 = 15 * 1024 * 1024;

/// A key in the uploads bucket. Parsed back by the photo processor from S3 events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKey {
    Attempt {
        collection: CollectionId,
        attempt: AttemptId,
    },
    Portrait(PortraitId),
    /// A retoucher's corrected photo of a case's submitted attempt.
    Retouch {
        collection: CollectionId,
        attempt: AttemptId,
    },
}

impl fmt::Display for UploadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Attempt {
                collection,
                attempt,
            } => write!(f, "attempts/{collection}/{attempt}"),
            Self::Portrait(portrait) => write!(f, "portraits/{portrait}"),
            Self::Retouch {
                collection,
                attempt,
            } => write!(f, "retouches/{collection}/{attempt}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an upload key of this service")]
pub struct UnknownKey;

impl std::str::FromStr for UploadKey {
    type Err = UnknownKey;

    /// Parses an already URL-decoded key.
    fn from_str(key: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = key.split('/').collect();
        match parts.as_slice() {
            ["attempts", collection, attempt] => Ok(Self::Attempt {
                collection: collection.parse().map_err(|_| UnknownKey)?,
                attempt: attempt.parse().map_err(|_| UnknownKey)?,
            }),
            ["portraits", portrait] => {
                Ok(Self::Portrait(portrait.parse().map_err(|_| UnknownKey)?))
            }
            ["retouches", collection, attempt] => Ok(Self::Retouch {
                collection: collection.parse().map_err(|_| UnknownKey)?,
                attempt: attempt.parse().map_err(|_| UnknownKey)?,
            }),
            _ => Err(UnknownKey),
        }
    }
}

pub fn batch_key(task: TaskId, batch: BatchId) -> String {
    format!("batches/{task}/{batch}.zip")
}

/// One student's print sheet in a print batch, in the photos bucket (`extension`: `jpg` or
/// `pdf`). Student numbers are letters, digits and '-' (`Enrollment::from_row`).
pub fn print_sheet_key(
    task: TaskId,
    batch: domain::PrintBatchId,
    student_number: &str,
    extension: &str,
) -> String {
    format!("print-sheets/{task}/{batch}/{student_number}.{extension}")
}

/// The image types a student may upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
}

impl ImageType {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// The type a file's first bytes say it is.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else {
            None
        }
    }

    pub fn from_content_type(content_type: &str) -> Option<Self> {
        match content_type.trim().to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            _ => None,
        }
    }
}

/// What a client needs to upload one file: PUT `url` with exactly these headers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PresignedUpload {
    pub url: String,
    pub method: &'static str,
    pub headers: Vec<(String, String)>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// The three buckets of DESIGN §3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    pub uploads: String,
    pub photos: String,
    pub outbox: String,
}

/// S3 access for the service: presigning uploads and reading and writing results.
#[derive(Debug, Clone)]
pub struct Objects {
    s3: aws_sdk_s3::Client,
    buckets: Buckets,
    clock: Clock,
}

impl Objects {
    pub fn new(s3: aws_sdk_s3::Client, buckets: Buckets, clock: Clock) -> Self {
        Self { s3, buckets, clock }
    }

    pub fn buckets(&self) -> &Buckets {
        &self.buckets
    }

    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }

    /// A presigned PUT into the uploads bucket, bound by signature to the content type and the
    /// exact length, so the client cannot swap in another file type or a larger file.
    pub async fn presign_upload(
        &self,
        key: UploadKey,
        image_type: ImageType,
        length: u64,
    ) -> Result<PresignedUpload, StoreError> {
        if length == 0 || length > MAX_UPLOAD_BYTES {
            return Err(StoreError::Invalid("upload length must be 1 byte to 15 MB"));
        }
        let now = self.clock.now();
        let config = presigning(now)?;
        let request = self
            .s3
            .put_object()
            .bucket(&self.buckets.uploads)
            .key(key.to_string())
            .content_type(image_type.content_type())
            .content_length(length as i64)
            .presigned(config)
            .await
            .map_err(StoreError::request)?;
        Ok(PresignedUpload {
            url: request.uri().to_owned(),
            method: "PUT",
            headers: vec![
                ("Content-Type".into(), image_type.content_type().into()),
                ("Content-Length".into(), length.to_string()),
            ],
            expires_at: now + PRESIGN_TTL,
        })
    }
}

/// Presigned URLs are signed at the store's clock and live [`PRESIGN_TTL`]. S3 checks the window
/// against its own clock, so a test's frozen clock must stay within minutes of the real time.
fn presigning(now: OffsetDateTime) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::builder()
        .start_time(now.into())
        .expires_in(PRESIGN_TTL)
        .build()
        .map_err(StoreError::request)
}

/// A short-lived link to read one object, for a reviewer's browser.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PresignedGet {
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// Where an object a reviewer looks at is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shelf {
    Uploads,
    Photos,
}

impl Objects {
    /// A presigned GET of `key`, valid for [`PRESIGN_TTL`]: reviewers see photos without the
    /// buckets ever being readable otherwise.
    pub async fn presign_get(&self, shelf: Shelf, key: &str) -> Result<PresignedGet, StoreError> {
        let bucket = match shelf {
            Shelf::Uploads => &self.buckets.uploads,
            Shelf::Photos => &self.buckets.photos,
        };
        let now = self.clock.now();
        let config = presigning(now)?;
        let request = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(StoreError::request)?;
        Ok(PresignedGet {
            url: request.uri().to_owned(),
            expires_at: now + PRESIGN_TTL,
        })
    }

    /// An uploaded file, or `None` when it is gone. Reads at most one byte more than
    /// [`MAX_UPLOAD_BYTES`], so an oversized object is seen as too large without being
    /// held in memory whole.
    pub async fn read_upload(&self, key: UploadKey) -> Result<Option<Vec<u8>>, StoreError> {
        let range = format!("bytes=0-{MAX_UPLOAD_BYTES}");
        self.read(&self.buckets.uploads, &key.to_string(), Some(range))
            .await
    }

    /// Writes a result of the photo processor (a standardised photo or a report) to the
    /// photos bucket; writing the same key again replaces it with the same content.
    pub async fn put_photo_object(
        &self,
        key: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.s3
            .put_object()
            .bucket(&self.buckets.photos)
            .key(key)
            .content_type(content_type)
            .body(bytes.into())
            .send()
            .await
            .map_err(|e| StoreError::s3("PutObject", e))?;
        Ok(())
    }

    /// Deletes an object of the photos bucket: a result of the photo processor that is no
    /// one's evidence, or what the purge finds due. Deleting a missing key is no error.
    pub async fn delete_photo_object(&self, key: &str) -> Result<(), StoreError> {
        self.delete(&self.buckets.photos, key).await
    }

    /// Deletes an upload (the purge); deleting a missing key is no error.
    pub async fn delete_upload(&self, key: &str) -> Result<(), StoreError> {
        self.delete(&self.buckets.uploads, key).await
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<(), StoreError> {
        self.s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| StoreError::s3("DeleteObject", e))?;
        Ok(())
    }

    /// An object of the photos bucket, for reviewers and tests.
    pub async fn read_photo_object(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(&self.buckets.photos, key, None).await
    }

    async fn read(
        &self,
        bucket: &str,
        key: &str,
        range: Option<String>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let result = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_range(range)
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(StoreError::s3("GetObject", e)),
        };
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| StoreError::s3("GetObject", e))?;
        Ok(Some(body.into_bytes().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_keys_round_trip() {
        let keys = [
            UploadKey::Attempt {
                collection: CollectionId::new(),
                attempt: AttemptId::new(),
            },
            UploadKey::Portrait(PortraitId::new()),
        ];
        for key in keys {
            assert_eq!(key.to_string().parse::<UploadKey>(), Ok(key));
        }
    }

    #[test]
    fn foreign_keys_are_refused() {
        for key in [
            "",
            "attempts/x/y",
            "portraits/",
            "other/01J00000000000000000000000",
            "attempts/a/b/c",
        ] {
            assert_eq!(key.parse::<UploadKey>(), Err(UnknownKey), "{key}");
        }
    }

    #[test]
    fn only_jpeg_and_png_are_accepted() {
        assert_eq!(
            ImageType::from_content_type("image/JPEG"),
            Some(ImageType::Jpeg)
        );
        assert_eq!(
            ImageType::from_content_type("image/png"),
            Some(ImageType::Png)
        );
        assert_eq!(ImageType::from_content_type("image/heic"), None);
        assert_eq!(ImageType::from_content_type("image/webp"), None);
    }
}
