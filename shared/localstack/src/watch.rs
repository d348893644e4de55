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

/// How often a start is tried on a fresh port when `cargo lambda watch` exits before serving:
/// the free port it was given can be taken by another process before it binds it.
const PORT_ATTEMPTS: usize = 3;

/// What a started function is first asked, to know it serves.
enum Probe<'a> {
    /// Any HTTP answer from the function URL (a 404 for this path) means it is up.
    Http,
    /// An invocation of this event, which changes nothing (an empty batch, say).
    Event(&'a serde_json::Value),
}

impl WatchedFunction {
    /// An HTTP function (lambda_http), ready once it answers a request. Started with `env`
    /// (and nothing else of ours).
    pub async fn start(package: &str, bin: &str, env: &[(String, String)]) -> Result<Self, Error> {
        Self::start_with(package, bin, env, Probe::Http).await
    }

    /// An event function (SQS, streams, schedules), ready once it handles `probe`, an event
    /// that changes nothing (an empty batch, say).
    pub async fn start_events(
        package: &str,
        bin: &str,
        env: &[(String, String)],
        probe: &serde_json::Value,
    ) -> Result<Self, Error> {
        Self::start_with(package, bin, env, Probe::Event(probe)).await
    }

    async fn start_with(
        package: &str,
        bin: &str,
        env: &[(String, String)],
        probe: Probe<'_>,
    ) -> Result<Self, Error> {
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            let mut function = Self::spawn(package, bin, env)?;
            match function.wait_until_ready(&probe).await {
                Ok(()) => return Ok(function),
                Err(NotReady::Exited(status)) => {
                    eprintln!(
                        "cargo lambda watch for {bin} exited ({status}); retrying on another port"
                    );
                    last = Some(status);
                }
                Err(NotReady::TimedOut) => {
                    return Err("cargo lambda watch did not serve the function in time".into());
                }
            }
        }
        Err(format!(
            "cargo lambda watch for {bin} kept exiting: {}",
            last.unwrap_or_default()
        )
        .into())
    }

    /// Starts it on a port that was free a moment ago.
    fn spawn(package: &str, bin: &str, env: &[(String, String)]) -> Result<Self, Error> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        Self::spawn_on(port, package, bin, env)
    }

    fn spawn_on(
        port: u16,
        package: &str,
        bin: &str,
        env: &[(String, String)],
    ) -> Result<Self, Error> {
        // The function's own log (tracing writes to stdout), kept where a failed run can be
        // read: `target/function-logs/<bin>-<port>.log`.
        let logs = workspace_root().join("target/function-logs");
        std::fs::create_dir_all(&logs)?;
        let log = std::fs::File::create(logs.join(format!("{bin}-{port}.log")))?;
        let mut command = Command::new(venv_dir().join("bin/cargo-lambda"));
        command.args(["lambda", "watch", "--ignore-changes", "--quiet"]);
        // A load run asks for optimised builds and several instances of each function, as
        // Lambda would run them (`GP_WATCH_RELEASE=1`, `GP_WATCH_CONCURRENCY=<n>`).
        if std::env::var("GP_WATCH_RELEASE").is_ok_and(|v| v == "1") {
            command.arg("--release");
        }
        if let Ok(n) = std::env::var("GP_WATCH_CONCURRENCY") {
            command.args(["--concurrency", &n]);
        }
        command
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
            .stdout(log)
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

    /// Waits until the function answers `probe`, or its `cargo lambda watch` exits (it could
    /// not bind its port), or [`READY_TIMEOUT`] passes.
    async fn wait_until_ready(&mut self, probe: &Probe<'_>) -> Result<(), NotReady> {
        let http = crate::http_client();
        let started = Instant::now();
        loop {
            let request = match probe {
                Probe::Http => http.get(format!("{}/ready", self.base_url)),
                Probe::Event(event) => http
                    .post(format!(
                        "http://127.0.0.1:{}/2015-03-31/functions/{}/invocations",
                        self.port, self.bin
                    ))
                    .body(event.to_string()),
            };
            // The first request may wait for the function's build; watch the process meanwhile,
            // since one that lost its port exits and someone else's server may hold the line.
            let child = &mut self.child;
            let exited = async {
                loop {
                    if let Ok(Some(status)) = child.try_wait() {
                        return status;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            };
            tokio::select! {
                answer = request.timeout(Duration::from_secs(600)).send() => {
                    if let Ok(response) = answer {
                        let ready = match probe {
                            Probe::Http => response.headers().contains_key("content-type"),
                            Probe::Event(_) => response.status().is_success(),
                        };
                        if ready {
                            return Ok(());
                        }
                    }
                }
                status = exited => return Err(NotReady::Exited(status.to_string())),
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(NotReady::TimedOut);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// Why a started function is not serving.
enum NotReady {
    Exited(String),
    TimedOut,
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
        // Quietly: a watch that exited on its own (a lost port) has no group left to stop.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_port_taken_before_watch_binds_it_is_noticed_not_waited_on() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let mut function = WatchedFunction::spawn_on(port, "api", "api", &[]).unwrap();
        assert!(matches!(
            function.wait_until_ready(&Probe::Http).await,
            Err(NotReady::Exited(_))
        ));
    }
}
