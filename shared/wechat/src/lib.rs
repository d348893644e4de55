//! WeChat's server APIs as the service uses them. Base URLs are configuration, so the local
//! stack and the tests point them at servers of their own.

pub mod json;
pub mod login;
pub mod message;
pub mod pay;

pub use login::{LoginClient, LoginConfig, LoginError, Session};
pub use message::{
    MessageClient, MessageConfig, MiniProgramState, Retry, SendError, SubscribeMessage,
};

/// An HTTPS client for calls out of the service (WeChat, the identity provider): short
/// timeouts, because every caller is a Lambda with a student or a webhook waiting on it.
/// TLS is rustls on aws-lc-rs, the provider the AWS SDK already brings, so the binary carries
/// one crypto library.
pub fn http_client(timeout: std::time::Duration) -> reqwest::Client {
    // Fails only if a provider is installed already, which is as good.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(2))
        .timeout(timeout)
        .build()
        .expect("a TLS client with default settings builds")
}
