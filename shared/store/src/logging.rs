//! Every function's logs: the level from Lambda's log controls (`AWS_LAMBDA_LOG_LEVEL`) or
//! `RUST_LOG`, JSON when `AWS_LAMBDA_LOG_FORMAT` says so, as the runtime's own set-up does;
//! except that the runtime's crates are held at `info` whatever those say. At `trace` they
//! log every raw event and request body, which carry names, ID numbers, photos' links and
//! payment notifications, and a debugging session must not be able to turn that on.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// The crates that log raw events and bodies below `info`.
const HELD: [&str; 3] = ["lambda_runtime", "lambda_runtime_api_client", "lambda_http"];

/// The filter for `configured` directives (`RUST_LOG`'s syntax; `info` when unset), the held
/// crates' own directives dropped and replaced by `info`.
pub fn filter(configured: Option<&str>) -> EnvFilter {
    let mut directives: Vec<String> = configured
        .unwrap_or("info")
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty() && !HELD.iter().any(|held| d.starts_with(held)))
        .map(str::to_owned)
        .collect();
    directives.extend(HELD.iter().map(|held| format!("{held}=info")));
    EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse_lossy(directives.join(","))
}

/// Installs the subscriber; call once, first thing in `main`.
pub fn init() {
    let configured = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter(configured.as_deref()));
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// What the subscriber wrote.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(configured: &str) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter(Some(configured)))
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "lambda_runtime::layers", body = "{\"name\":\"张三丰\"}", "raw event");
            tracing::debug!(target: "lambda_http", "request body 440106199001011234");
            tracing::trace!(target: "api::routes", "our own trace");
            tracing::info!(target: "lambda_runtime", "runtime started");
        });
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn no_setting_lets_the_runtime_log_raw_events() {
        for configured in [
            "trace",
            "trace,lambda_runtime=trace",
            "lambda_http=debug,trace",
            "TRACE",
        ] {
            let logs = logged(configured);
            assert!(
                !logs.contains("张三丰") && !logs.contains("440106"),
                "{configured}: {logs}"
            );
            assert!(logs.contains("runtime started"), "{configured}: {logs}");
            assert!(logs.contains("our own trace"), "{configured}: {logs}");
        }
        let quiet = logged("info");
        assert!(!quiet.contains("our own trace") && quiet.contains("runtime started"));
    }
}
