//! The variables and configuration that point the service at this peer.

use super::WeChatPayPeer;

impl WeChatPayPeer {
    /// The variables `wechat::pay::PayConfig::from_vars` reads, pointing at this peer.
    pub fn vars(&self, notify_url: &str) -> Vec<(String, String)> {
        [
            ("WECHATPAY_BASE_URL", self.base_url.clone()),
            ("WECHATPAY_MCHID", self.mchid.clone()),
            ("WECHAT_APPID", self.appid.clone()),
            ("WECHATPAY_NOTIFY_URL", notify_url.to_owned()),
            (
                "WECHATPAY_MERCHANT_SERIAL",
                self.peer.merchant_serial.clone(),
            ),
            ("WECHATPAY_MERCHANT_KEY", self.merchant_key_pem.clone()),
            ("WECHATPAY_APIV3_KEY", self.apiv3_key.clone()),
            ("WECHATPAY_PUBLIC_KEY_ID", self.public_key_id.clone()),
            (
                "WECHATPAY_PUBLIC_KEY",
                self.peer.platform.verifying_key().to_pem(),
            ),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// The service's configuration for this peer: [`WeChatPayPeer::vars`], read as a
    /// function reads its environment.
    pub fn config(&self, notify_url: &str) -> wechat::pay::PayConfig {
        let vars = self.vars(notify_url);
        wechat::pay::PayConfig::from_vars(|name| {
            vars.iter()
                .find(|(var, _)| var == name)
                .map(|(_, value)| value.clone())
        })
        .expect("the peer's own variables make a configuration")
    }
}
