//! The notifier as it runs locally: the real function under `cargo lambda watch`, fed the
//! table's stream the way Lambda's event source mapping feeds it (the records the template's
//! filter lets through, in order, item failures checked), sending to a local WeChat.

use localstack::StackNames;
use localstack::peers::WeChatMessagePeer;
use localstack::streams::{StartAt, TableStream, passes, template_filters};
use localstack::watch::WatchedFunction;
use serde_json::{Value, json};

use crate::Error;

/// The notifier's resource in `infra/template.yaml`.
const RESOURCE: &str = "NotifierFunction";

/// The template ids this stack's mini program has (one per kind of notice).
pub const TEMPLATES: [(&str, &str); 9] = [
    ("NOTIFY_TEMPLATE_AUTO_REJECTED", "tpl-auto-rejected"),
    ("NOTIFY_TEMPLATE_APPROVED", "tpl-approved"),
    ("NOTIFY_TEMPLATE_REJECTED", "tpl-rejected"),
    ("NOTIFY_TEMPLATE_PUBLISHED", "tpl-published"),
    ("NOTIFY_TEMPLATE_RETOUCHING", "tpl-retouching"),
    ("NOTIFY_TEMPLATE_RETOUCHED", "tpl-retouched"),
    ("NOTIFY_TEMPLATE_PRINTED", "tpl-printed"),
    ("NOTIFY_TEMPLATE_SHIPPED", "tpl-shipped"),
    ("NOTIFY_TEMPLATE_DELIVERED", "tpl-delivered"),
];

pub struct LocalNotifier {
    pub function: WatchedFunction,
    pub wechat: WeChatMessagePeer,
    stream: TableStream,
    filters: Vec<Value>,
}

/// What one pass over the stream did.
pub struct Delivery {
    /// Records the stream held since the last pass.
    pub read: usize,
    /// Of those, the ones handed to the function (new audit events).
    pub handed: usize,
}

impl LocalNotifier {
    /// Starts reading the stream where it ends now, so only this run's events are news.
    pub async fn start(stack: &StackNames) -> Result<Self, Error> {
        let sdk = localstack::sdk_config(&stack.endpoint).await;
        let stream = TableStream::open(&sdk, &stack.table_stream_arn, StartAt::Latest).await?;
        let wechat = WeChatMessagePeer::start().await;
        let mut env = stack.function_env();
        env.extend(
            [
                ("WECHAT_API_BASE", wechat.base_url.as_str()),
                ("WECHAT_APPID", &wechat.appid),
                ("WECHAT_SECRET", &wechat.secret),
                ("NOTIFY_STATE", "developer"),
            ]
            .into_iter()
            .chain(TEMPLATES)
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let empty = json!({ "Records": [] });
        let function = WatchedFunction::start_events("notifier", "notifier", &env, &empty).await?;
        Ok(Self {
            function,
            wechat,
            stream,
            filters: template_filters(RESOURCE)?,
        })
    }

    /// Hands what the stream holds since the last pass to the function, as one batch.
    pub async fn deliver(&mut self) -> Result<Delivery, Error> {
        let read = self.stream.read().await?;
        let all = read["Records"].as_array().cloned().unwrap_or_default();
        let records: Vec<Value> = all
            .iter()
            .filter(|r| passes(&self.filters, r))
            .cloned()
            .collect();
        if !records.is_empty() {
            let answer = self.function.invoke(&json!({ "Records": records })).await?;
            let failures = &answer["batchItemFailures"];
            if failures.as_array().is_some_and(|f| !f.is_empty()) {
                return Err(format!("the notifier reported failed records: {failures}").into());
            }
        }
        Ok(Delivery {
            read: all.len(),
            handed: records.len(),
        })
    }
}
