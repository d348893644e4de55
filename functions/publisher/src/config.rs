//! Configuration from the environment: the store as every function reads it, and the gateway
//! `CHSI_GATEWAY` names.

use std::time::Duration;

use chsi::{ChsiGateway, HttpGateway, S3Outbox};

use crate::{PublishError, Publisher};

/// Bounds one delivery, upload included: a batch of 500 standardised photos is about 25 MB.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("CHSI_GATEWAY must be `outbox` or `http`, not {0:?}")]
    UnknownGateway(String),
    #[error("CHSI_GATEWAY=http needs CHSI_ENDPOINT")]
    NoEndpoint,
}

impl Publisher {
    /// Reads the store's variables (`store::Config::load`) and `CHSI_GATEWAY`: `outbox` (the
    /// default) writes archives to `OUTBOX_BUCKET`; `http` posts them to `CHSI_ENDPOINT` with
    /// the secret `CHSI_TOKEN` (or the SSM parameter named by `CHSI_TOKEN_PARAMETER`).
    pub async fn from_env() -> Result<Self, PublishError> {
        let sdk = aws_config::load_from_env().await;
        let config = store::Config::load_with_pii(&sdk).await?;
        let store = store::Store::with_sdk_config(&sdk, config);
        let gateway: Box<dyn ChsiGateway> = match std::env::var("CHSI_GATEWAY").as_deref() {
            Err(_) | Ok("outbox") => Box::new(S3Outbox::new(
                store.objects.client().clone(),
                store.objects.buckets().outbox.clone(),
            )),
            Ok("http") => {
                let endpoint =
                    std::env::var("CHSI_ENDPOINT").map_err(|_| ConfigError::NoEndpoint)?;
                let token = store::secret(&sdk, "CHSI_TOKEN").await?;
                Box::new(HttpGateway::new(endpoint, token, DELIVERY_TIMEOUT))
            }
            Ok(other) => return Err(ConfigError::UnknownGateway(other.to_owned()).into()),
        };
        Ok(Self::new(store, gateway))
    }
}
