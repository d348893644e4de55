//! The platform's signature on every reply and notification (`Wechatpay-*` headers).

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use time::OffsetDateTime;
use wechat::pay::{MerchantKey, SCHEME, message, nonce};

use super::reply::Reply;
use super::state::Peer;

impl Peer {
    fn signature_headers(&self, body: &str, timestamp: i64, nonce: &str) -> Vec<(String, String)> {
        signature_headers(&self.platform, body, timestamp, nonce)
    }

    /// Every reply is signed, refusals included, as WeChat's are.
    pub(super) fn respond(&self, (status, reply): Reply) -> Response {
        let body = reply.map(|reply| reply.to_string()).unwrap_or_default();
        let mut headers =
            self.signature_headers(&body, OffsetDateTime::now_utc().unix_timestamp(), &nonce());
        headers.push(("Request-ID".into(), ulid::Ulid::new().to_string()));
        if !body.is_empty() {
            headers.push((CONTENT_TYPE.to_string(), "application/json".into()));
        }
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        for (name, value) in headers {
            response.headers_mut().insert(
                HeaderName::try_from(name).expect("a header name"),
                HeaderValue::try_from(value).expect("an ASCII header value"),
            );
        }
        response
    }
}

/// The `Wechatpay-*` headers WeChat puts on replies and notifications.
pub(super) fn signature_headers(
    platform: &MerchantKey,
    body: &str,
    timestamp: i64,
    nonce: &str,
) -> Vec<(String, String)> {
    let timestamp = timestamp.to_string();
    let signature = platform.sign(&message(&[
        timestamp.as_bytes(),
        nonce.as_bytes(),
        body.as_bytes(),
    ]));
    [
        ("Wechatpay-Serial", platform.serial().to_owned()),
        ("Wechatpay-Timestamp", timestamp),
        ("Wechatpay-Nonce", nonce.to_owned()),
        ("Wechatpay-Signature", signature),
        ("Wechatpay-Signature-Type", SCHEME.to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}
