//! The purger: on a schedule (see `infra/template.yaml`). Nightly, one pass of the retention
//! rules ([`purger::Purger::run`]) and of the approved erasures; hourly (the schedule's input
//! `{"only": "erasures"}`), the erasures alone, so a student's erasure waits an hour at most
//! once an operator approved it.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    store::logging::init();
    let purger = Arc::new(purger::Purger::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let purger = Arc::clone(&purger);
        async move {
            let now = time::OffsetDateTime::now_utc();
            let retention = match event.payload.get("only").and_then(Value::as_str) {
                Some("erasures") => None,
                _ => Some(purger.run(now).await?),
            };
            let erasures = purger.run_erasures(now).await?;
            Ok::<_, Error>(json!({ "retention": retention, "erasures": erasures }))
        }
    }))
    .await
}
