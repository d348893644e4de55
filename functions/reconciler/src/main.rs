//! The reconciler: on a schedule (see `infra/template.yaml`), one pass of
//! [`payments::Payments::reconcile`] and one of [`reconciler::sweep`]. The EventBridge event
//! carries nothing it needs.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    store::logging::init();
    let sdk = aws_config::load_from_env().await;
    let config = store::Config::load(&sdk).await?;
    let table = store::Store::with_sdk_config(&sdk, config).table;
    let payments = Arc::new(payments::from_env(&sdk, table.clone()).await?);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| {
        let (payments, table) = (Arc::clone(&payments), table.clone());
        async move {
            let now = time::OffsetDateTime::now_utc();
            let payments = payments.reconcile(now).await?;
            let attempts = reconciler::sweep(&table, now).await?;
            Ok::<_, Error>(json!({ "payments": payments, "attempts": attempts }))
        }
    }))
    .await
}
