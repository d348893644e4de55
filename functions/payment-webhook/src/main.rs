use std::sync::Arc;

use lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    store::logging::init();
    // Clients, keys and certificates once per container, not per notification.
    let webhook = Arc::new(payment_webhook::Webhook::from_env().await?);
    lambda_http::run(service_fn(move |request: Request| {
        let webhook = Arc::clone(&webhook);
        async move { Ok::<_, Error>(webhook.handle(request).await) }
    }))
    .await
}
