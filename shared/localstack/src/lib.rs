//! The local AWS stack (DESIGN §8): a real moto server on 127.0.0.1 and the service's resources
//! created on it. Tests call [`TestEnv::new`] for resources of their own (unique names) on one
//! server per test run, so they can run in parallel without seeing each other's data.

mod answer;
pub mod consistency;
pub mod faults;
pub mod fixtures;
pub mod gateway;
pub mod peers;
mod provision;
pub mod streams;
pub mod watch;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use base64::Engine;
use store::{Buckets, Clock, Config, PiiKeys, Store};

pub use answer::Answer;
pub use provision::{MAX_RECEIVES, Names, Provisioned, provision};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The region of the local stack. Any region works on moto; this one needs no bucket
/// location constraint.
pub const REGION: &str = "us-east-1";

/// A running moto server: the one named by `MOTO_ENDPOINT` (the test script starts one per
/// run), or else one started for this process that exits when the process does.
pub struct Moto {
    endpoint: String,
    /// Holding the child's stdin open keeps it alive; the OS closes it when we exit.
    _child: Option<Child>,
}

impl Moto {
    pub fn shared() -> &'static Moto {
        static MOTO: OnceLock<Moto> = OnceLock::new();
        MOTO.get_or_init(|| match std::env::var("MOTO_ENDPOINT") {
            Ok(endpoint) => Moto {
                endpoint,
                _child: None,
            },
            Err(_) => Moto::spawn().unwrap_or_else(|e| {
                panic!("cannot start moto ({e}); run scripts/setup.sh or set MOTO_ENDPOINT")
            }),
        })
    }

    fn spawn() -> Result<Moto, Error> {
        let python = venv_dir().join("bin/python");
        let script = workspace_root().join("scripts/moto_server.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg("--until-stdin-closes")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", python.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut port = String::new();
        BufReader::new(stdout).read_line(&mut port)?;
        let port: u16 = port.trim().parse().map_err(|_| "moto printed no port")?;
        Ok(Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            _child: Some(child),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// SDK configuration for this server, with throw-away credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        sdk_config(&self.endpoint).await
    }
}

/// SDK configuration for a local stack at `endpoint`, retrying as the functions do in the
/// cloud (`AWS_MAX_ATTEMPTS` in the template).
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("local", "local", None, None, "localstack"))
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .load()
        .await
}

/// Attempts per AWS call, the template's `AWS_MAX_ATTEMPTS`.
pub const MAX_ATTEMPTS: u32 = 5;

/// The project-local Python environment made by `scripts/setup.sh`.
pub fn venv_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GP_VENV") {
        return dir.into();
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    cache.join("graduate-photo/venv")
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An HTTP client for tests and the demo. The workspace's reqwest has rustls without a built-in
/// crypto provider (the service brings aws-lc-rs for the AWS SDK), so every client is made
/// through `wechat::http_client`, which installs it.
pub fn http_client() -> reqwest::Client {
    wechat::http_client(std::time::Duration::from_secs(600))
}

/// Where the console's files are (`console/site`); deployment copies them to the console
/// bucket, and so does [`upload_console`] for a local stack.
pub fn console_dir() -> PathBuf {
    workspace_root().join("console/site")
}

/// Copies the console's files to `bucket`, as `aws s3 sync console/site` does in a deployment.
/// Returns how many were copied.
pub async fn upload_console(sdk: &SdkConfig, bucket: &str) -> Result<usize, Error> {
    let s3 = store::s3_client(sdk);
    let mut copied = 0;
    for entry in std::fs::read_dir(console_dir())? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !path.is_file() || name.starts_with('.') {
            continue;
        }
        let bytes = tokio::fs::read(&path).await?;
        s3.put_object()
            .bucket(bucket)
            .key(name)
            .body(bytes.into())
            .send()
            .await?;
        copied += 1;
    }
    Ok(copied)
}

/// `infra/template.yaml` as JSON, read with cfn-lint's own decoder (it knows `!Sub`, `!Ref`,
/// …), so tests can hold the code to what the template declares.
pub fn template() -> serde_json::Value {
    let script = "import json, sys; from cfnlint.decode import decode; \
                  t, errors = decode(sys.argv[1]); assert not errors, errors; \
                  print(json.dumps(t, default=str))";
    python_json(script, &workspace_root().join("infra/template.yaml"))
}

/// A plain YAML file (such as `api/openapi.yaml`) as JSON, read with PyYAML's safe loader.
pub fn yaml(path: &std::path::Path) -> serde_json::Value {
    let script = "import json, sys, yaml; \
                  print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), default=str))";
    python_json(script, path)
}

fn python_json(script: &str, path: &std::path::Path) -> serde_json::Value {
    let output = Command::new(venv_dir().join("bin/python"))
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .expect("the venv's python runs (scripts/setup.sh)");
    assert!(
        output.status.success(),
        "reading {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("python printed JSON")
}

/// A test's own resources on the shared moto server.
pub struct TestEnv {
    pub sdk: SdkConfig,
    pub store: Store,
    pub stack: Provisioned,
    /// The test's personal-data key (base64), for functions started as processes.
    pub pii_key: String,
}

impl TestEnv {
    pub async fn new() -> TestEnv {
        let sdk = Moto::shared().sdk_config().await;
        // Bucket names: lower case, ≤ 63 characters.
        let prefix = format!("t{}", ulid::Ulid::new()).to_ascii_lowercase();
        let stack = provision(&sdk, &Names::with_prefix(&prefix))
            .await
            .unwrap_or_else(|e| panic!("provisioning {prefix} on moto failed: {e}"));
        let key = test_key();
        // Frozen at the real time (presigned URLs must still pass moto's check of their
        // window): a test sees one instant unless it moves the clock itself.
        let store = Store::with_clock(
            &sdk,
            store_config(&stack.names, PiiKeys::from_master(&key)),
            Clock::frozen(time::OffsetDateTime::now_utc()),
        );
        let pii_key = base64::engine::general_purpose::STANDARD.encode(key);
        TestEnv {
            sdk,
            store,
            stack,
            pii_key,
        }
    }

    /// This test's stack reached through `endpoint` (a [`faults::FaultyMoto`] in front of
    /// moto): a store on it, with the test's key and clock, and the names for functions
    /// started as processes. The test's own `store` and clients still reach moto directly.
    pub async fn behind(&self, endpoint: &str) -> (Store, StackNames) {
        let sdk = sdk_config(endpoint).await;
        let key = base64::engine::general_purpose::STANDARD
            .decode(&self.pii_key)
            .expect("the test key is base64");
        let key: [u8; 32] = key.try_into().expect("a 32-byte key");
        let store = Store::with_clock(
            &sdk,
            store_config(&self.stack.names, PiiKeys::from_master(&key)),
            self.store.clock.clone(),
        );
        let stack = StackNames {
            endpoint: endpoint.to_owned(),
            ..self.stack_names()
        };
        (store, stack)
    }

    /// This test's stack, for functions started as processes.
    pub fn stack_names(&self) -> StackNames {
        let names = &self.stack.names;
        StackNames {
            endpoint: Moto::shared().endpoint().to_owned(),
            table: names.table.clone(),
            uploads_bucket: names.uploads_bucket.clone(),
            photos_bucket: names.photos_bucket.clone(),
            outbox_bucket: names.outbox_bucket.clone(),
            console_bucket: names.console_bucket.clone(),
            uploads_queue_url: self.stack.uploads_queue_url.clone(),
            table_stream_arn: self.stack.table_stream_arn.clone(),
            pii_key: self.pii_key.clone(),
        }
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }
}

/// Messages received from a queue as the Lambda service hands them to a function: one
/// `Records` entry per message, the shape `aws_lambda_events::sqs::SqsEvent` reads.
pub fn sqs_event(messages: &[aws_sdk_sqs::types::Message]) -> serde_json::Value {
    let records: Vec<_> = messages
        .iter()
        .map(|m| {
            serde_json::json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "awsRegion": REGION,
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// Where a function's data lives on a local stack: what it needs in its environment.
pub struct StackNames {
    pub endpoint: String,
    pub table: String,
    pub uploads_bucket: String,
    pub photos_bucket: String,
    pub outbox_bucket: String,
    pub console_bucket: String,
    pub uploads_queue_url: String,
    pub table_stream_arn: String,
    /// The personal-data master key, base64.
    pub pii_key: String,
}

impl StackNames {
    /// From the variables `scripts/localstack.sh env` exports.
    pub fn from_env() -> Result<Self, Error> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        Ok(Self {
            endpoint: var("AWS_ENDPOINT_URL")?,
            table: var("TABLE_NAME")?,
            uploads_bucket: var("UPLOADS_BUCKET")?,
            photos_bucket: var("PHOTOS_BUCKET")?,
            outbox_bucket: var("OUTBOX_BUCKET")?,
            console_bucket: var("CONSOLE_BUCKET")?,
            uploads_queue_url: var("UPLOADS_QUEUE_URL")?,
            table_stream_arn: var("TABLE_STREAM_ARN")?,
            pii_key: var("PII_KEY")?,
        })
    }

    /// The variables every function reads (`store::Config`), plus local AWS credentials.
    pub fn function_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_REGION", REGION),
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
            ("TABLE_NAME", &self.table),
            ("UPLOADS_BUCKET", &self.uploads_bucket),
            ("PHOTOS_BUCKET", &self.photos_bucket),
            ("OUTBOX_BUCKET", &self.outbox_bucket),
            ("PII_KEY", &self.pii_key),
            ("RUST_LOG", "warn"),
            ("AWS_MAX_ATTEMPTS", "5"),
            // The API says how much of a request was the store's (`web::handle`).
            ("SERVER_TIMING", "1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec()
    }
}

/// The store configuration for resources named `names`.
pub fn store_config(names: &Names, pii: PiiKeys) -> Config {
    Config {
        table: names.table.clone(),
        buckets: Buckets {
            uploads: names.uploads_bucket.clone(),
            photos: names.photos_bucket.clone(),
            outbox: names.outbox_bucket.clone(),
        },
        pii: Some(pii),
    }
}

/// A key of a test's own, so no two tests share sealed data by accident. Not for production:
/// a ULID's random part is 80 bits, two of them make the 32 bytes here.
fn test_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(&ulid::Ulid::new().0.to_le_bytes());
    key[16..].copy_from_slice(&ulid::Ulid::new().0.to_le_bytes());
    key
}
