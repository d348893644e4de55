//! Identity verification (实名核验): does this name belong to this ID number? The service asks
//! a provider behind [`IdentityVerifier`]; [`HttpIdentityVerifier`] speaks to one over HTTP.

use std::future::Future;
use std::pin::Pin;

use domain::IdNumber;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Match,
    /// The number exists but belongs to another name.
    Mismatch,
    /// The provider does not know the number.
    NotFound,
}

#[derive(Debug, thiserror::Error)]
#[error("identity provider unavailable: {0}")]
pub struct VerifierUnavailable(pub String);

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait IdentityVerifier: Send + Sync {
    fn verify<'a>(
        &'a self,
        name: &'a str,
        id_number: &'a IdNumber,
    ) -> BoxFuture<'a, Result<Verification, VerifierUnavailable>>;
}

/// A provider's HTTP API: `POST {base}/v1/id/verify` with a bearer key and
/// `{"name", "id_number"}`, answered `{"result": "match" | "mismatch" | "not_found"}`.
pub struct HttpIdentityVerifier {
    base_url: String,
    api_key: String,
    http: reqwest::Client,
}

impl HttpIdentityVerifier {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key: api_key.into(),
            http: wechat::http_client(std::time::Duration::from_secs(5)),
        }
    }

    async fn call(
        &self,
        name: &str,
        id_number: &IdNumber,
    ) -> Result<Verification, VerifierUnavailable> {
        #[derive(Deserialize)]
        struct Reply {
            result: String,
        }
        let body = serde_json::json!({ "name": name, "id_number": id_number.as_str() });
        let response = self
            .http
            .post(format!("{}/v1/id/verify", self.base_url))
            .bearer_auth(&self.api_key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| VerifierUnavailable(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(VerifierUnavailable(format!("HTTP {status}")));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| VerifierUnavailable(e.without_url().to_string()))?;
        let reply: Reply = serde_json::from_slice(&bytes).map_err(|e| {
            VerifierUnavailable(format!("unreadable reply: {}", wechat::json::problem(&e)))
        })?;
        match reply.result.as_str() {
            "match" => Ok(Verification::Match),
            "mismatch" => Ok(Verification::Mismatch),
            "not_found" => Ok(Verification::NotFound),
            other => Err(VerifierUnavailable(format!("unknown result {other:?}"))),
        }
    }
}

impl IdentityVerifier for HttpIdentityVerifier {
    fn verify<'a>(
        &'a self,
        name: &'a str,
        id_number: &'a IdNumber,
    ) -> BoxFuture<'a, Result<Verification, VerifierUnavailable>> {
        Box::pin(self.call(name, id_number))
    }
}
