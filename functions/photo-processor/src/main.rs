use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    store::logging::init();
    // Models, clients and keys once per container, not per message.
    let processor = Arc::new(photo_processor::Processor::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let processor = Arc::clone(&processor);
        async move { Ok::<_, Error>(processor.handle(event.payload).await) }
    }))
    .await
}
