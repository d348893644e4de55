//! WeChat Pay API v3 (微信支付), as the service uses it: JSAPI orders, order query and close,
//! refunds and their query. Like WeChat it refuses requests whose `Authorization` is not the
//! merchant's signature (401 `SIGN_ERROR`), signs every reply with its platform key (public-key
//! mode, `PUB_KEY_ID_…`), and keeps WeChat's rules on repeated and conflicting requests. Tests
//! pay orders and settle refunds through Rust methods, which return the notification WeChat
//! would post.

mod authorize;
mod config;
mod events;
mod ids;
mod json;
mod notification;
mod orders;
mod refunds;
mod reply;
mod routes;
mod signature;
mod state;

use std::sync::{Arc, Mutex};

use wechat::pay::{ApiV3Key, MerchantKey, nonce};

use super::{Log, serve};
use ids::digits;
use routes::handle;
use state::Peer;

pub use notification::{SignedNotification, mint_notification};
pub use state::PayRequest;

pub struct WeChatPayPeer {
    pub base_url: String,
    /// 商户号.
    pub mchid: String,
    /// The mini program the orders are paid in.
    pub appid: String,
    /// The platform public key's id: the `Wechatpay-Serial` of every reply.
    pub public_key_id: String,
    merchant_key_pem: String,
    apiv3_key: String,
    peer: Arc<Peer>,
}

impl WeChatPayPeer {
    /// Starts a WeChat Pay for merchant `mchid` with fresh keys: the merchant's API key (which
    /// [`Self::vars`] hands to the service), the platform's key and an APIv3 key.
    pub async fn start(mchid: &str, appid: &str) -> Self {
        let merchant = MerchantKey::generate(&format!("5157F09E{:032X}", ulid::Ulid::new().0));
        let public_key_id = format!("PUB_KEY_ID_0114{}", digits(24));
        let apiv3_key = nonce();
        let peer = Arc::new(Peer {
            mchid: mchid.to_owned(),
            appid: appid.to_owned(),
            merchant_serial: merchant.serial().to_owned(),
            merchant: merchant.verifying_key(),
            platform: MerchantKey::generate(&public_key_id),
            apiv3: ApiV3Key::new(apiv3_key.as_bytes()).expect("32 bytes"),
            books: Mutex::default(),
            log: Log::default(),
        });
        let router = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&peer));
        Self {
            base_url: serve(router).await,
            mchid: mchid.to_owned(),
            appid: appid.to_owned(),
            public_key_id,
            merchant_key_pem: merchant.to_pkcs8_pem(),
            apiv3_key,
            peer,
        }
    }

    pub fn requests(&self) -> Vec<PayRequest> {
        self.peer.log.entries()
    }
}
