//! The photo processor as it runs locally: the real `Processor` fed from the real uploads
//! queue, the way Lambda's SQS poller feeds the function (batches of up to 10, messages
//! deleted once handled, failed ones left for redelivery).

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use localstack::StackNames;
use photo::{Engine, Profile};
use photo_processor::Processor;
use store::Store;

use crate::Error;

pub struct LocalProcessor {
    processor: Processor,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl LocalProcessor {
    pub async fn start(store: &Store, stack: &StackNames) -> Result<Self, Error> {
        let engine = tokio::task::spawn_blocking(Engine::load).await??;
        let sdk = localstack::sdk_config(&stack.endpoint).await;
        Ok(Self {
            processor: Processor::new(store.clone(), Arc::new(engine), Profile::blue()),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            queue_url: stack.uploads_queue_url.clone(),
        })
    }

    /// Polls until `uploads` upload notifications were handled (S3's test event is handled
    /// too, and not counted).
    pub async fn process(&self, uploads: usize) -> Result<(), Error> {
        let mut handled = 0;
        for _ in 0..60 {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await?;
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                continue;
            }
            let event: SqsEvent = serde_json::from_value(localstack::sqs_event(&messages))?;
            let response = self.processor.handle(event).await;
            for m in &messages {
                let failed = response
                    .batch_item_failures
                    .iter()
                    .any(|f| Some(&f.item_identifier) == m.message_id.as_ref());
                if failed {
                    continue;
                }
                if !m
                    .body
                    .as_deref()
                    .unwrap_or_default()
                    .contains("s3:TestEvent")
                {
                    handled += 1;
                }
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .set_receipt_handle(m.receipt_handle.clone())
                    .send()
                    .await?;
            }
            if handled >= uploads {
                return Ok(());
            }
        }
        Err(format!("only {handled} of {uploads} uploads were processed").into())
    }
}
