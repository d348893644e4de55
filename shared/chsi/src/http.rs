//! A direct HTTPS endpoint for batches (an authorised agency's, or 学信网's where the channel
//! allows): `POST {endpoint}/batches/{batch_id}` with the zip as body, answered with
//! `{"receipt": "..."}`. The batch id doubles as the idempotency key, and a batch already
//! received is answered 409 with its original receipt.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;

use crate::archive::Archive;
use crate::gateway::{ChsiGateway, Delivery, GatewayError, Receipt};

/// Connecting is quick or not at all; the overall timeout, which covers the upload, is the
/// caller's.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How much of an error answer is kept for the operator.
const MAX_DETAIL_CHARS: usize = 200;

pub struct HttpGateway {
    endpoint: String,
    token: String,
    client: reqwest::Client,
}

/// Leaves the token out.
impl fmt::Debug for HttpGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpGateway")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ReceiptBody {
    receipt: String,
}

impl HttpGateway {
    /// `timeout` bounds a whole delivery, upload included.
    pub fn new(endpoint: String, token: String, timeout: Duration) -> Self {
        // reqwest's rustls has no crypto provider of its own; use aws-lc-rs, which the AWS SDK
        // links already. An error only means a provider is in place, which serves as well.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .build()
            .expect("a rustls client with default settings builds");
        Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            token,
            client,
        }
    }

    async fn post(&self, archive: &Archive) -> Result<Receipt, GatewayError> {
        let url = format!("{}/batches/{}", self.endpoint, archive.batch_id);
        let unavailable = |e: reqwest::Error| GatewayError::Unavailable(error_chain(&e));
        let response = self
            .client
            .post(&url)
            .header(CONTENT_TYPE, "application/zip")
            // bearer_auth marks the header sensitive, so it never shows in debug output.
            .bearer_auth(&self.token)
            .header("idempotency-key", &archive.batch_id)
            .header("x-content-sha256", &archive.sha256)
            .body(archive.bytes.clone())
            .send()
            .await
            .map_err(unavailable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unavailable)?;
        let receipt = serde_json::from_slice::<ReceiptBody>(&body)
            .ok()
            .filter(|b| !b.receipt.is_empty())
            .map(|b| Receipt {
                reference: b.receipt,
            });
        let detail = || describe(status, &body);

        let outcome = match status {
            // Accepted but unacknowledged: retrying is safe, and the retry meets a 409 that
            // carries the receipt.
            s if s.is_success() => receipt.ok_or_else(|| GatewayError::Unavailable(detail())),
            // Already received; without a receipt the id clashes with another batch.
            StatusCode::CONFLICT => receipt.ok_or_else(|| GatewayError::Refused(detail())),
            StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS => {
                Err(GatewayError::Unavailable(detail()))
            }
            s if s.is_server_error() => Err(GatewayError::Unavailable(detail())),
            _ => Err(GatewayError::Refused(detail())),
        };
        if let Ok(receipt) = &outcome {
            tracing::info!(
                batch_id = %archive.batch_id,
                status = status.as_u16(),
                reference = %receipt.reference,
                "batch delivered over HTTP"
            );
        }
        outcome
    }
}

impl ChsiGateway for HttpGateway {
    fn deliver<'a>(&'a self, archive: &'a Archive) -> Delivery<'a> {
        Box::pin(self.post(archive))
    }

    fn name(&self) -> &'static str {
        "http"
    }
}

/// The status and the start of the answer's body.
fn describe(status: StatusCode, body: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(body)
        .chars()
        .take(MAX_DETAIL_CHARS)
        .collect();
    format!("HTTP {status}: {}", text.trim())
}

/// reqwest's message says what failed ("error sending request for url …"), its sources why.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
