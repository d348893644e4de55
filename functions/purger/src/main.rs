//! The purger: on a schedule (see `infra/template.yaml`), one pass of [`purger::Purger::run`].
//! The EventBridge event carries nothing it needs.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    store::logging::init();
    let purger = Arc::new(purger::Purger::from_env().await?);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| {
        let purger = Arc::clone(&purger);
        async move {
            let log = purger.run(time::OffsetDateTime::now_utc()).await?;
            Ok::<_, Error>(serde_json::to_value(log)?)
        }
    }))
    .await
}
