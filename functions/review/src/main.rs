use std::sync::Arc;

use lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    store::logging::init();
    let app = Arc::new(review::App::from_env().await?);
    lambda_http::run(service_fn(move |request: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Error>(app.respond(request).await) }
    }))
    .await
}
