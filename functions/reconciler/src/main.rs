//! The reconciler: on a schedule (see `infra/template.yaml`), one pass of
//! [`payments::Payments::reconcile`]. The EventBridge event carries nothing it needs.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    store::logging::init();
    let sdk = aws_config::load_from_env().await;
    let config = store::Config::load(&sdk).await?;
    let table = store::Store::with_sdk_config(&sdk, config).table;
    let payments = Arc::new(payments::from_env(&sdk, table).await?);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| {
        let payments = Arc::clone(&payments);
        async move {
            let done = payments.reconcile(time::OffsetDateTime::now_utc()).await?;
            Ok::<_, Error>(serde_json::to_value(done)?)
        }
    }))
    .await
}
