use std::sync::Arc;

use lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    store::logging::init();
    // Clients and secrets once per container, not per request.
    let app = Arc::new(api::App::from_env().await?);
    lambda_http::run(service_fn(move |request: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Error>(app.handle(request).await) }
    }))
    .await
}
