//! The publisher as it runs locally: the real function under `cargo lambda watch`, invoked as
//! its schedule would, delivering to a local receiver that plays 学信网's batch endpoint
//! (`CHSI_GATEWAY=http`).

use localstack::StackNames;
use localstack::peers::ChsiPeer;
use localstack::watch::WatchedFunction;
use serde_json::{Value, json};

use crate::Error;

pub struct LocalPublisher {
    pub function: WatchedFunction,
    pub chsi: ChsiPeer,
}

impl LocalPublisher {
    pub async fn start(stack: &StackNames) -> Result<Self, Error> {
        let token = format!("chsi-{}", ulid::Ulid::new());
        let chsi = ChsiPeer::start(token.clone()).await;
        let mut env = stack.function_env();
        env.extend(
            [
                ("CHSI_GATEWAY", "http"),
                ("CHSI_ENDPOINT", chsi.base_url.as_str()),
                ("CHSI_TOKEN", &token),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        // Readiness is one scheduled run: with nothing approved yet, it changes nothing.
        let function =
            WatchedFunction::start_events("publisher", "publisher", &env, &schedule()).await?;
        Ok(Self { function, chsi })
    }

    /// One scheduled run; its summary (`publisher::RunSummary`).
    pub async fn run(&self) -> Result<Value, Error> {
        self.function.invoke(&schedule()).await
    }
}

/// What EventBridge Scheduler sends the function (the template sets no input).
fn schedule() -> Value {
    json!({})
}
