//! The notifier: reads the table's stream and tells students by WeChat subscribe message
//! (订阅消息) when the automatic checks or a reviewer refuse their photo, when it is approved,
//! and when it is reported to 学信网. Which events and what they say is [`news`]; this module
//! only carries records through it and keeps count in the store's notices.
//!
//! Stream batches are retried from the first record reported failed, so records are handled in
//! order and the first one that cannot be finished now (WeChat or the store unavailable) ends
//! the batch. Everything after it comes again with the retry; the notice recorded per event
//! keeps the ones already sent from being sent twice.

pub mod news;
pub mod record;
pub mod settings;

use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use store::{Notice, NoticeOutcome, Store, StoreError};
use tracing::Instrument;
use wechat::{MessageClient, MessageConfig, SendError};

use crate::news::Notification;
use crate::settings::Settings;

/// Why a record must be tried again later.
#[derive(Debug, thiserror::Error)]
enum RetryLater {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    WeChat(SendError),
}

pub struct Notifier {
    pub store: Store,
    pub wechat: MessageClient,
    pub settings: Settings,
}

impl Notifier {
    /// Builds the clients from the function's environment: the store's variables,
    /// `WECHAT_API_BASE`, `WECHAT_APPID`, `WECHAT_SECRET` (or its SSM parameter) and the
    /// notifier's own ([`Settings::from_vars`]).
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let sdk = aws_config::load_from_env().await;
        let store = Store::with_sdk_config(&sdk, store::Config::load(&sdk).await?);
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let wechat = MessageClient::new(MessageConfig {
            base_url: var("WECHAT_API_BASE")?,
            appid: var("WECHAT_APPID")?,
            secret: store::secret(&sdk, "WECHAT_SECRET").await?,
        });
        Ok(Self {
            store,
            wechat,
            settings: Settings::from_env()?,
        })
    }

    /// Handles a batch in order. The first record that must be retried is reported by its
    /// sequence number, and the rest of the batch is left for that retry.
    pub async fn handle(&self, event: StreamEvent) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        for record in &event.records {
            if let Err(error) = self.record(record).await {
                let sequence_number = record.change.sequence_number.clone();
                tracing::warn!(
                    sequence_number = sequence_number.as_deref().unwrap_or_default(),
                    %error,
                    "stream record will be retried"
                );
                // Without a sequence number Lambda retries the whole batch, which is also safe.
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = sequence_number;
                response.batch_item_failures.push(failure);
                break;
            }
        }
        response
    }

    async fn record(&self, record: &EventRecord) -> Result<(), RetryLater> {
        let event = match record::inserted_event(record) {
            Ok(Some(event)) => event,
            Ok(None) => return Ok(()),
            // Retrying cannot make it readable; holding the stream for it would stop every
            // other student's notices.
            Err(error) => {
                tracing::error!(%error, "skipped an unreadable audit event");
                return Ok(());
            }
        };
        let Some(notification) = news::notification(&event) else {
            return Ok(());
        };
        let span = tracing::info_span!(
            "notice",
            case_id = %notification.case,
            version = notification.version,
            kind = %notification.kind,
        );
        self.notify(&notification).instrument(span).await
    }

    async fn notify(&self, n: &Notification) -> Result<(), RetryLater> {
        let table = &self.store.table;
        if table.notice(n.case, n.version).await?.is_some() {
            tracing::info!("already notified");
            return Ok(());
        }
        let Some(template_id) = self.settings.template(n.kind) else {
            tracing::info!("no template configured; not sent");
            return Ok(());
        };
        let case = table.collection(n.case).await?;
        let task = table.task(case.task_id).await?;
        let message = n.message(
            &case.owner,
            &task.school,
            template_id,
            &self.settings.landing,
        );
        let outcome = match self.wechat.send(&message).await {
            Ok(()) => NoticeOutcome::Sent,
            Err(SendError::NotSubscribed) => {
                tracing::info!("student not subscribed");
                NoticeOutcome::NotSubscribed
            }
            Err(SendError::Refused { code, message }) => {
                tracing::error!(
                    alarm = "notify_refused",
                    errcode = code,
                    errmsg = message,
                    "WeChat refused the notice"
                );
                NoticeOutcome::Refused { errcode: code }
            }
            Err(error) => return Err(RetryLater::WeChat(error)),
        };
        // A crash between sending and recording sends once more on the retry: at least once,
        // as WeChat offers no idempotency key to do better.
        let written = table
            .record_notice(&Notice {
                collection_id: n.case,
                version: n.version,
                kind: n.kind,
                outcome,
                at: self.store.clock.now(),
            })
            .await?;
        if !written {
            tracing::info!("notice recorded by another invocation");
        }
        Ok(())
    }
}
