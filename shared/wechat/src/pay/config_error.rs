//! Why WeChat Pay's configuration cannot be used. Its own module because the keys' parsers
//! (merchant key, APIv3 key, platform keys) report it and the configuration is built from
//! them: with the error in `config.rs` each of them imported the module that imports it.

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("the merchant key is not an RSA private key in PKCS#8 PEM (BEGIN PRIVATE KEY): {0}")]
    MerchantKey(String),
    #[error("the APIv3 key is {0} bytes; WeChat's are 32 (16 is accepted)")]
    ApiV3KeyLength(usize),
    #[error("bad platform certificate: {0}")]
    Certificate(String),
    #[error("bad platform public key {id}: {reason}")]
    PublicKey { id: String, reason: String },
    #[error(
        "no platform key: set WECHATPAY_PLATFORM_CERTS, or WECHATPAY_PUBLIC_KEY_ID with WECHATPAY_PUBLIC_KEY"
    )]
    NoPlatformKey,
}
