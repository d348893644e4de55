//! Notifications as WeChat posts them: minted, encrypted with the APIv3 key and signed.

use serde_json::Value;
use time::OffsetDateTime;
use wechat::pay::{ApiV3Key, MerchantKey, Notification, Signed, VerifyError, nonce};

use super::WeChatPayPeer;
use super::ids::beijing_now;
use super::signature::signature_headers;

/// A notification as WeChat would post it to `notify_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNotification {
    /// `Content-Type` and the five `Wechatpay-*` headers.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl SignedNotification {
    /// A header by name, ignoring case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The signed parts, as a receiver reads them from the request.
    pub fn signed(&self) -> Result<Signed<'_>, VerifyError> {
        Signed::from_headers(|name| self.header(name), self.body.as_bytes())
    }

    /// POSTs the notification to `url` as WeChat does.
    pub async fn deliver(
        &self,
        http: &reqwest::Client,
        url: &str,
    ) -> reqwest::Result<reqwest::Response> {
        self.headers
            .iter()
            .fold(http.post(url), |request, (name, value)| {
                request.header(name, value)
            })
            .body(self.body.clone())
            .send()
            .await
    }
}

impl WeChatPayPeer {
    /// A notification of `event_type` around `resource_plaintext`, signed now.
    pub fn mint(&self, event_type: &str, resource_plaintext: &Value) -> SignedNotification {
        self.mint_at(
            event_type,
            resource_plaintext,
            OffsetDateTime::now_utc().unix_timestamp(),
            &nonce(),
        )
    }

    /// A notification signed at `timestamp` with `nonce`: for stale and replayed ones.
    pub fn mint_at(
        &self,
        event_type: &str,
        resource_plaintext: &Value,
        timestamp: i64,
        nonce: &str,
    ) -> SignedNotification {
        mint_notification(
            &self.peer.platform,
            &self.peer.apiv3,
            event_type,
            resource_plaintext,
            timestamp,
            nonce,
        )
    }
}

/// A notification as WeChat Pay sends it: `resource_plaintext` encrypted with `apiv3`, the
/// envelope signed by `platform` at `timestamp` with `nonce`. The peer mints with its own keys;
/// tests mint with the fixtures' throw-away keys.
pub fn mint_notification(
    platform: &MerchantKey,
    apiv3: &ApiV3Key,
    event_type: &str,
    resource_plaintext: &Value,
    timestamp: i64,
    nonce: &str,
) -> SignedNotification {
    // `TRANSACTION.SUCCESS` carries a `transaction`, `REFUND.*` a `refund`; WeChat uses
    // that as the associated data too.
    let original_type = event_type
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut resource = apiv3.encrypt(
        &wechat::pay::nonce()[..12],
        &original_type,
        resource_plaintext.to_string().as_bytes(),
    );
    resource.original_type = original_type;
    let summary = match event_type {
        "TRANSACTION.SUCCESS" => "支付成功",
        "REFUND.SUCCESS" => "退款成功",
        "REFUND.CLOSED" => "退款关闭",
        "REFUND.ABNORMAL" => "退款异常",
        _ => "",
    };
    let notification = Notification {
        id: ulid::Ulid::new().to_string(),
        create_time: beijing_now(),
        event_type: event_type.to_owned(),
        resource_type: "encrypt-resource".into(),
        summary: summary.into(),
        resource,
    };
    let body = serde_json::to_string(&notification).expect("a notification serializes");
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    headers.extend(signature_headers(platform, &body, timestamp, nonce));
    SignedNotification { headers, body }
}
