//! The application: its clients (built once per container), served through the shared request
//! pipeline (`web::handle`), which turns every request into a JSON response.

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use payments::Payments;
use store::Store;
use web::Tokens;
use wechat::{LoginClient, LoginConfig};

use crate::identity::{HttpIdentityVerifier, IdentityVerifier};

pub use web::{Ctx, JSON_LIMIT, Reply};

pub struct App {
    pub store: Store,
    pub tokens: Tokens,
    pub login: LoginClient,
    pub verifier: Arc<dyn IdentityVerifier>,
    /// The identity checks the whole service may pay for per China day.
    pub identity_checks_per_day: u32,
    pub payments: Payments,
}

impl App {
    /// Builds the application from the function's environment (see `infra/template.yaml`).
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let sdk = aws_config::load_from_env().await;
        let config = store::Config::load_with_pii(&sdk).await?;
        let store = Store::with_sdk_config(&sdk, config);
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let tokens = Tokens::new(store::secret(&sdk, "SESSION_SECRET").await?.as_bytes())?;
        let login = LoginClient::new(LoginConfig {
            base_url: var("WECHAT_API_BASE")?,
            appid: var("WECHAT_APPID")?,
            secret: store::secret(&sdk, "WECHAT_SECRET").await?,
        });
        let verifier = HttpIdentityVerifier::new(
            var("IDENTITY_API_BASE")?,
            store::secret(&sdk, "IDENTITY_API_KEY").await?,
        );
        let identity_checks_per_day = var("IDENTITY_CHECKS_PER_DAY")?
            .parse()
            .map_err(|_| "IDENTITY_CHECKS_PER_DAY is not a whole number")?;
        let payments = payments::from_env(&sdk, store.table.clone()).await?;
        Ok(Self {
            store,
            tokens,
            login,
            verifier: Arc::new(verifier),
            identity_checks_per_day,
            payments,
        })
    }

    /// Answers one request. Never fails: every problem becomes an error response.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        web::handle(self, request).await
    }
}
