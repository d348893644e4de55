use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    store::logging::init();
    // Models, clients and keys once per container, not per message.
    let processor = Arc::new(photo_processor::Processor::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let processor = Arc::clone(&processor);
        async move {
            // The invocation's deadline (epoch milliseconds), as time left from now.
            let ends = UNIX_EPOCH + Duration::from_millis(event.context.deadline);
            let left = ends.duration_since(SystemTime::now()).unwrap_or_default();
            // Lambda's deadline is always ahead; an emulator's (cargo lambda) may be none.
            let deadline = (!left.is_zero())
                .then(|| Instant::now() + left.saturating_sub(photo_processor::ANSWER_MARGIN));
            let left = || deadline.map(|d| d.saturating_duration_since(Instant::now()));
            Ok::<_, Error>(processor.handle_until(event.payload, left).await)
        }
    }))
    .await
}
