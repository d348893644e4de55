use std::sync::Arc;

use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    store::logging::init();
    // Clients once per container: the WeChat access token is cached across invocations.
    let notifier = Arc::new(notifier::Notifier::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
        let notifier = Arc::clone(&notifier);
        async move { Ok::<_, Error>(notifier.handle(event.payload).await) }
    }))
    .await
}
