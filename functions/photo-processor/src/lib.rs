//! The photo processor (DESIGN §4, §5): consumes S3 upload events from the uploads queue.
//!
//! - `attempts/<case>/<attempt>`: standardise and check the photo, write the standardised JPEG
//!   and the report to the photos bucket, store the face descriptor of a passed photo, then
//!   record the result on the case with a conditional write.
//! - `portraits/<portrait>`: read the student's ID card, store what it says and its face's
//!   descriptor, or mark it unusable.
//! - `retouches/<case>/<attempt>`: check a retoucher's corrected photo (file and geometry) and
//!   send it back to review.
//!
//! Every step is safe to repeat, so a redelivered message changes nothing. Problems with the
//! student's file are results (a refused attempt), never retries; only a failure of our own
//! (AWS, the engine) is reported in `batchItemFailures`, so SQS retries that one message and,
//! after five receives, parks it in the dead-letter queue.

mod attempt;
pub mod event;
mod portrait;
mod retouch;

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use domain::Actor;
use photo::{Engine, PhotoError, Profile};
use store::{Store, StoreError, UploadKey};

use crate::event::Notification;

/// The actor named in the audit trail.
pub const ACTOR: &str = "photo-processor";

/// A failure worth retrying the message for.
#[derive(Debug, thiserror::Error)]
pub enum Retry {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("photo engine: {0}")]
    Engine(#[from] PhotoError),
    #[error("photo engine stopped: {0}")]
    Crashed(String),
    /// Not finished before the invocation's deadline.
    #[error("not finished in time")]
    Deadline,
}

/// A photo is not started with less time left than this: many times the engine's slowest
/// (a 12 MP photo takes well under a second warm; a cold start's first one a few).
pub const START_BUDGET: Duration = Duration::from_secs(10);

/// Kept back from the invocation's deadline to answer SQS.
pub const ANSWER_MARGIN: Duration = Duration::from_secs(2);

/// What became of one upload, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Passed,
    Rejected,
    PortraitUsable,
    PortraitUnusable,
    /// A retoucher's photo passed the file and geometry checks and went back to review.
    Retouched,
    /// A retoucher's photo missed the standard's file or geometry; they were told why.
    RetouchRefused,
    /// Already processed: a redelivered or duplicate event.
    Duplicate,
    /// The case is approved or later; its photo is frozen.
    Frozen,
    /// No case, attempt, portrait or object matches the key.
    Orphan,
    /// The card's owner never consented to the processing of sensitive data: nothing is
    /// read or described (the API issues no upload without consent; this is the second lock).
    NoConsent,
}

pub struct Processor {
    store: Store,
    engine: Arc<Engine>,
    profile: Profile,
}

impl Processor {
    pub fn new(store: Store, engine: Arc<Engine>, profile: Profile) -> Self {
        Self {
            store,
            engine,
            profile,
        }
    }

    /// Clients, keys and models once per container. `PHOTO_PROFILE` picks the background
    /// (`blue`, the default, `white` or `grey`).
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let profile = match std::env::var("PHOTO_PROFILE") {
            Ok(name) => Profile::by_name(&name).ok_or(format!("unknown PHOTO_PROFILE {name}"))?,
            Err(_) => Profile::blue(),
        };
        let store = Store::from_env().await?;
        let engine = tokio::task::spawn_blocking(Engine::load).await??;
        Ok(Self::new(store, Arc::new(engine), profile))
    }

    /// Handles a batch with no deadline (tests, the local stack).
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        self.handle_until(event, || None).await
    }

    /// Handles a batch while `left()` says there is time (until the invocation's deadline,
    /// less a margin to answer; `None`: no deadline): the messages that failed for a reason
    /// worth retrying, and those not finished in time, come back in `batch_item_failures`;
    /// the photos done stay done. Without it, a batch that timed out would come back whole,
    /// and healthy photos would count receives towards the dead-letter queue.
    pub async fn handle_until(
        &self,
        event: SqsEvent,
        left: impl Fn() -> Option<Duration>,
    ) -> SqsBatchResponse {
        let mut failures = Vec::new();
        for message in event.records {
            let id = message.message_id.unwrap_or_default();
            let body = message.body.as_deref().unwrap_or_default();
            let outcome = match left() {
                None => self.message(body).await,
                // Not started: too little time for the slowest photo.
                Some(left) if left < START_BUDGET => Err(Retry::Deadline),
                Some(left) => tokio::time::timeout(left, self.message(body))
                    .await
                    .unwrap_or(Err(Retry::Deadline)),
            };
            if let Err(error) = outcome {
                tracing::warn!(message_id = %id, %error, "will be retried");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                failures.push(failure);
            }
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failures;
        response
    }

    async fn message(&self, body: &str) -> Result<(), Retry> {
        let uploads = match event::parse(body) {
            Ok(Notification::Uploads(uploads)) => uploads,
            Ok(Notification::Test) => return Ok(()),
            // Retrying cannot fix it: say so and let the message go.
            Err(error) => {
                tracing::error!(%error, "dropped a message that is no S3 notification");
                return Ok(());
            }
        };
        for upload in uploads {
            if upload.bucket != self.store.objects.buckets().uploads {
                tracing::error!(bucket = %upload.bucket, "dropped an event of another bucket");
                continue;
            }
            let Ok(key) = upload.key.parse::<UploadKey>() else {
                tracing::error!(key = %upload.key, "dropped an event for a key of no upload");
                continue;
            };
            let done = match key {
                UploadKey::Attempt {
                    collection,
                    attempt,
                } => self.attempt(collection, attempt).await?,
                UploadKey::Portrait(portrait) => self.portrait(portrait).await?,
                UploadKey::Retouch {
                    collection,
                    attempt,
                } => self.retouch(collection, attempt).await?,
            };
            // Keys hold ULIDs only, never personal data.
            tracing::info!(%key, ?done, "processed");
        }
        Ok(())
    }

    fn actor() -> Actor {
        Actor::System(ACTOR.into())
    }

    /// Runs CPU-bound engine work off the async threads.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Engine, &Profile) -> Result<T, PhotoError> + Send + 'static,
    ) -> Result<T, Retry> {
        let engine = Arc::clone(&self.engine);
        let profile = self.profile.clone();
        tokio::task::spawn_blocking(move || work(&engine, &profile))
            .await
            .map_err(|e| Retry::Crashed(e.to_string()))?
            .map_err(Retry::from)
    }
}
