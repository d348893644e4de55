//! Everything the service needs to call WeChat Pay, read from environment-like variables.

use super::apiv3::ApiV3Key;
use super::config_error::ConfigError;
use super::platform::PlatformKeys;
use super::signing::MerchantKey;

/// Production. The local stack and tests point `WECHATPAY_BASE_URL` at their own server.
pub const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";

/// The variables that hold secrets: load them from a secret store, never log them.
pub const SECRET_VARS: [&str; 2] = ["WECHATPAY_MERCHANT_KEY", "WECHATPAY_APIV3_KEY"];

/// Where and as whom to call WeChat Pay. `Debug` shows no key material.
#[derive(Debug)]
pub struct PayConfig {
    /// `https://api.mch.weixin.qq.com` in production.
    pub base_url: String,
    /// 商户号.
    pub mchid: String,
    /// The mini program's appid: orders are paid inside it.
    pub appid: String,
    /// Where WeChat posts payment and refund notifications.
    pub notify_url: String,
    pub merchant: MerchantKey,
    pub apiv3_key: ApiV3Key,
    pub platform: PlatformKeys,
}

impl PayConfig {
    /// Reads `WECHATPAY_BASE_URL` (optional), `WECHATPAY_MCHID`, `WECHAT_APPID`,
    /// `WECHATPAY_NOTIFY_URL`, `WECHATPAY_MERCHANT_SERIAL`, `WECHATPAY_MERCHANT_KEY`,
    /// `WECHATPAY_APIV3_KEY`, and the platform's keys: `WECHATPAY_PLATFORM_CERTS` and/or
    /// `WECHATPAY_PUBLIC_KEY_ID` with `WECHATPAY_PUBLIC_KEY`. Empty values count as unset;
    /// PEMs may have their newlines written as `\n`, as single-line secret stores keep them.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let optional = |name: &'static str| {
            get(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let required = |name: &'static str| optional(name).ok_or(ConfigError::Missing(name));
        let pem = |value: String| {
            if value.contains('\n') {
                value
            } else {
                value.replace("\\n", "\n")
            }
        };

        let merchant = MerchantKey::from_pem(
            &required("WECHATPAY_MERCHANT_SERIAL")?,
            &pem(required("WECHATPAY_MERCHANT_KEY")?),
        )?;
        let apiv3_key = ApiV3Key::new(required("WECHATPAY_APIV3_KEY")?.as_bytes())?;

        let mut platform = PlatformKeys::new();
        if let Some(certificates) = optional("WECHATPAY_PLATFORM_CERTS") {
            platform.add_certificates_pem(&pem(certificates))?;
        }
        match (
            optional("WECHATPAY_PUBLIC_KEY_ID"),
            optional("WECHATPAY_PUBLIC_KEY"),
        ) {
            (Some(id), Some(key)) => platform.add_public_key_pem(&id, &pem(key))?,
            (Some(_), None) => return Err(ConfigError::Missing("WECHATPAY_PUBLIC_KEY")),
            (None, Some(_)) => return Err(ConfigError::Missing("WECHATPAY_PUBLIC_KEY_ID")),
            (None, None) => {}
        }
        if platform.is_empty() {
            return Err(ConfigError::NoPlatformKey);
        }

        Ok(Self {
            base_url: optional("WECHATPAY_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.into()),
            mchid: required("WECHATPAY_MCHID")?,
            appid: required("WECHAT_APPID")?,
            notify_url: required("WECHATPAY_NOTIFY_URL")?,
            merchant,
            apiv3_key,
            platform,
        })
    }
}
