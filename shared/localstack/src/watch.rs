//! A function served the way Lambda would run it: `cargo lambda watch` builds the binary and
//! emulates the Lambda runtime API, and its function URLs turn HTTP requests into the events
//! `lambda_http` receives in the cloud.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, venv_dir, workspace_root};

/// First start may compile the function; later ones reuse the build.
const READY_TIMEOUT: Duration = Duration::from_secs(900);

/// A running `cargo lambda watch`; stopped (with its function) when dropped.
pub struct WatchedFunction {
    /// Base URL of the function: requests to `{base_url}/v1/...` reach its router as
    /// `/v1/...`.
    pub base_url: String,
    bin: String,
    port: u16,
    child: Child,
}

impl WatchedFunction {
    /// Starts `bin` of `package` with `env` (and nothing else of ours) and waits until it
    /// answers HTTP.
    /// An HTTP function (lambda_http), ready once it answers a request.
    pub async fn start(package: &str, bin: &str, env: &[(String, String)]) -> Result<Self, Error> {
        let function = Self::spawn(package, bin, env)?;
        function.wait_until_ready().await?;
        Ok(function)
    }

    /// An event function (SQS, streams, schedules), ready once it handles `probe`, an event
    /// that changes nothing (an empty batch, say).
    pub async fn start_events(
        package: &str,
        bin: &str,
        env: &[(String, String)],
        probe: &serde_json::Value,
    ) -> Result<Self, Error> {
        let function = Self::spawn(package, bin, env)?;
        let http = crate::http_client();
        let started = Instant::now();
        let url = format!(
            "http://127.0.0.1:{}/2015-03-31/functions/{bin}/invocations",
            function.port
        );
        loop {
            if let Ok(response) = http
                .post(&url)
                .body(probe.to_string())
                .timeout(Duration::from_secs(600))
                .send()
                .await
                && response.status().is_success()
            {
                return Ok(function);
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err("cargo lambda watch did not serve the function in time".into());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    fn spawn(package: &str, bin: &str, env: &[(String, String)]) -> Result<Self, Error> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut command = Command::new(venv_dir().join("bin/cargo-lambda"));
        command
            .args(["lambda", "watch", "--ignore-changes", "--quiet"])
            .args(["--package", package, "--bin", bin])
            .args([
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &port.to_string(),
            ])
            .current_dir(workspace_root())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            // Its own process group, so that stopping it also stops the function it runs.
            .process_group(0);
        let child = command
            .spawn()
            .map_err(|e| format!("cargo-lambda (scripts/setup.sh installs it): {e}"))?;
        let function = Self {
            base_url: format!("http://127.0.0.1:{port}/lambda-url/{bin}"),
            bin: bin.to_owned(),
            port,
            child,
        };
        Ok(function)
    }

    async fn wait_until_ready(&self) -> Result<(), Error> {
        let http = crate::http_client();
        let started = Instant::now();
        // Any HTTP answer from the function (a 404 for this path) means it is up.
        let probe = format!("{}/ready", self.base_url);
        loop {
            if let Ok(response) = http
                .get(&probe)
                .timeout(Duration::from_secs(600))
                .send()
                .await
                && response.headers().contains_key("content-type")
            {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err("cargo lambda watch did not serve the function in time".into());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

impl WatchedFunction {
    /// Invokes the function with an event through `cargo lambda invoke`, as a developer would,
    /// and returns what the function answered.
    pub async fn invoke(&self, event: &serde_json::Value) -> Result<serde_json::Value, Error> {
        let output = tokio::process::Command::new(venv_dir().join("bin/cargo-lambda"))
            .args([
                "lambda",
                "invoke",
                &self.bin,
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &self.port.to_string()])
            .args([
                "--output-format",
                "json",
                "--data-ascii",
                &event.to_string(),
            ])
            .current_dir(workspace_root())
            .output()
            .await?;
        if !output.status.success() {
            return Err(format!(
                "cargo lambda invoke failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        Ok(serde_json::from_slice(&output.stdout)?)
    }
}

impl Drop for WatchedFunction {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.wait();
    }
}
