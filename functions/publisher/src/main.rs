//! The publisher: on a schedule (see `infra/template.yaml`), one [`publisher::Publisher::run`].
//! EventBridge Scheduler's payload carries nothing it needs, so any JSON is accepted.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    store::logging::init();
    let publisher = Arc::new(publisher::Publisher::from_env().await?);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| {
        let publisher = Arc::clone(&publisher);
        async move {
            let summary = publisher.run(time::OffsetDateTime::now_utc()).await?;
            Ok::<_, Error>(serde_json::to_value(summary)?)
        }
    }))
    .await
}
