//! The API client: JSAPI orders, order query and close, refunds and their query.

use std::sync::Arc;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, USER_AGENT};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::offset;

use super::config::PayConfig;
use super::platform::{Signed, VerifyError};
use super::refund::Refund;
use super::signing::message;
use super::transaction::Transaction;

/// WeChat refuses requests without one.
const AGENT: &str = concat!(
    "graduate-photo/",
    env!("CARGO_PKG_VERSION"),
    " wechatpay-apiv3"
);

/// WeChat's limit on `description`, in bytes.
const DESCRIPTION_MAX_BYTES: usize = 127;

#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// WeChat answered 4xx with `{code, message}` (`ORDER_NOT_EXIST`, `ORDERPAID`, …).
    #[error("WeChat Pay refused the call (HTTP {status}): {code}: {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    /// Network trouble, a timeout or a 5xx: try again later.
    #[error("WeChat Pay is unavailable: {0}")]
    Unavailable(String),
    /// A 2xx reply that is not signed by a platform key we hold: not to be trusted.
    #[error("WeChat Pay's reply failed signature verification: {0}")]
    BadSignature(VerifyError),
    #[error("unreadable reply from WeChat Pay: {0}")]
    Malformed(String),
}

impl PayError {
    /// Worth retrying unchanged: WeChat was unreachable, busy or rate-limiting.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Rejected { status, code, .. } => {
                *status == 429 || matches!(code.as_str(), "SYSTEM_ERROR" | "FREQUENCY_LIMITED")
            }
            Self::BadSignature(_) | Self::Malformed(_) => false,
        }
    }

    /// WeChat's error code, when it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A JSAPI order: paid by `payer_openid` inside the mini program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsapiOrder {
    /// 商户订单号: 6–32 of `[0-9A-Za-z_-|*]`, unique per merchant.
    pub out_trade_no: String,
    /// Shown to the payer; cut to WeChat's 127 bytes on a character boundary.
    pub description: String,
    pub amount_fen: u32,
    pub payer_openid: String,
    /// After this the order can no longer be paid.
    pub time_expire: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub out_trade_no: String,
    /// 商户退款单号: retrying with the same number never refunds twice.
    pub out_refund_no: String,
    /// Shown to the user.
    pub reason: Option<String>,
    pub refund_fen: u32,
    /// The order's total, as WeChat checks it.
    pub total_fen: u32,
}

/// The arguments of the mini program's `wx.requestPayment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MiniProgramPayment {
    pub app_id: String,
    pub time_stamp: String,
    pub nonce_str: String,
    /// `prepay_id=…`.
    pub package: String,
    /// `RSA`.
    pub sign_type: String,
    pub pay_sign: String,
}

#[derive(Debug, Clone)]
pub struct PayClient {
    config: Arc<PayConfig>,
    http: reqwest::Client,
}

impl PayClient {
    /// `http` from [`crate::http_client`].
    pub fn new(config: Arc<PayConfig>, http: reqwest::Client) -> Self {
        Self { config, http }
    }

    pub fn config(&self) -> &PayConfig {
        &self.config
    }

    /// Places a JSAPI order; returns its `prepay_id`. Placing the same `out_trade_no` again
    /// with the same parameters returns the same `prepay_id`.
    pub async fn create_jsapi_order(&self, order: &JsapiOrder) -> Result<String, PayError> {
        #[derive(serde::Deserialize)]
        struct Prepay {
            prepay_id: String,
        }
        let config = &self.config;
        let time_expire = order
            .time_expire
            .replace_nanosecond(0)
            .expect("0 is a valid nanosecond")
            .to_offset(offset!(+8))
            .format(&Rfc3339)
            .map_err(|e| PayError::Malformed(format!("time_expire: {e}")))?;
        let body = json!({
            "appid": config.appid,
            "mchid": config.mchid,
            "description": truncate(&order.description, DESCRIPTION_MAX_BYTES),
            "out_trade_no": order.out_trade_no,
            "time_expire": time_expire,
            "notify_url": config.notify_url,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
            "payer": {"openid": order.payer_openid},
        });
        let prepay: Prepay = self
            .json(Method::POST, "/v3/pay/transactions/jsapi", Some(body))
            .await?;
        Ok(prepay.prepay_id)
    }

    /// The order's state; `Rejected` with code `ORDER_NOT_EXIST` if WeChat has no such order.
    pub async fn query_order(&self, out_trade_no: &str) -> Result<Transaction, PayError> {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{}?mchid={}",
            path_segment(out_trade_no),
            path_segment(&self.config.mchid)
        );
        self.json(Method::GET, &path, None).await
    }

    /// Closes an unpaid order so it can no longer be paid (`ORDERPAID` if it was).
    pub async fn close_order(&self, out_trade_no: &str) -> Result<(), PayError> {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{}/close",
            path_segment(out_trade_no)
        );
        let body = json!({"mchid": self.config.mchid});
        self.call(Method::POST, &path, Some(body)).await.map(drop)
    }

    /// Asks for a refund; it is usually `PROCESSING` until a `REFUND.*` notification.
    pub async fn refund(&self, request: &RefundRequest) -> Result<Refund, PayError> {
        let mut body = json!({
            "out_trade_no": request.out_trade_no,
            "out_refund_no": request.out_refund_no,
            "notify_url": self.config.notify_url,
            "amount": {
                "refund": request.refund_fen,
                "total": request.total_fen,
                "currency": "CNY",
            },
        });
        if let Some(reason) = &request.reason {
            body["reason"] = json!(reason);
        }
        self.json(Method::POST, "/v3/refund/domestic/refunds", Some(body))
            .await
    }

    pub async fn query_refund(&self, out_refund_no: &str) -> Result<Refund, PayError> {
        let path = format!(
            "/v3/refund/domestic/refunds/{}",
            path_segment(out_refund_no)
        );
        self.json(Method::GET, &path, None).await
    }

    /// What the mini program passes to `wx.requestPayment`, signed over
    /// `appId\ntimeStamp\nnonceStr\npackage\n`.
    pub fn payment_parameters(
        &self,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
    ) -> MiniProgramPayment {
        let time_stamp = timestamp.to_string();
        let package = format!("prepay_id={prepay_id}");
        let pay_sign = self.config.merchant.sign(&message(&[
            self.config.appid.as_bytes(),
            time_stamp.as_bytes(),
            nonce.as_bytes(),
            package.as_bytes(),
        ]));
        MiniProgramPayment {
            app_id: self.config.appid.clone(),
            time_stamp,
            nonce_str: nonce.to_owned(),
            package,
            sign_type: "RSA".into(),
            pay_sign,
        }
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T, PayError> {
        let reply = self.call(method, path_and_query, body).await?;
        serde_json::from_slice(&reply).map_err(|e| PayError::Malformed(crate::json::problem(&e)))
    }

    /// Sends a signed request; returns the body of a 2xx reply whose signature verified.
    async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Vec<u8>, PayError> {
        let config = &self.config;
        let url = format!("{}{path_and_query}", config.base_url.trim_end_matches('/'));
        let url = reqwest::Url::parse(&url).map_err(|e| PayError::Malformed(e.to_string()))?;
        // Sign exactly what goes on the wire, base URL prefix included.
        let signed_path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let body = body.map(|body| body.to_string()).unwrap_or_default();
        let authorization = config.merchant.authorization(
            &config.mchid,
            method.as_str(),
            &signed_path,
            OffsetDateTime::now_utc().unix_timestamp(),
            &super::nonce(),
            &body,
        );
        let mut request = self
            .http
            .request(method, url)
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, AGENT);
        if !body.is_empty() {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        let unavailable = |e: reqwest::Error| PayError::Unavailable(e.without_url().to_string());
        let response = request.send().await.map_err(unavailable)?;
        let status = response.status();
        let headers = response.headers().clone();
        let reply = response.bytes().await.map_err(unavailable)?.to_vec();

        if status.is_success() {
            self.verify(&headers, &reply).map_err(|e| {
                tracing::warn!(path = %signed_path, error = %e, "unverifiable WeChat Pay reply");
                PayError::BadSignature(e)
            })?;
            return Ok(reply);
        }
        #[derive(serde::Deserialize)]
        struct Refusal {
            code: String,
            #[serde(default)]
            message: String,
        }
        let refusal = serde_json::from_slice::<Refusal>(&reply).ok();
        match (status.as_u16(), refusal) {
            (status @ 400..=499, Some(refusal)) => Err(PayError::Rejected {
                status,
                code: refusal.code,
                message: refusal.message,
            }),
            (status @ 400..=499, None) => Err(PayError::Malformed(format!(
                "HTTP {status} without an error code"
            ))),
            (status, refusal) => Err(PayError::Unavailable(match refusal {
                Some(refusal) => format!("HTTP {status}: {}: {}", refusal.code, refusal.message),
                None => format!("HTTP {status}"),
            })),
        }
    }

    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), VerifyError> {
        let signed = Signed::from_headers(
            |name| headers.get(name).and_then(|value| value.to_str().ok()),
            body,
        )?;
        self.config
            .platform
            .verify(&signed, OffsetDateTime::now_utc())
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Everything but RFC 3986's unreserved characters.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes an order number so it can sit in a path and be signed exactly as sent.
fn path_segment(text: &str) -> String {
    utf8_percent_encode(text, RESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_is_cut_to_127_bytes_on_a_character_boundary() {
        // 43 three-byte characters are 129 bytes: 42 of them (126 bytes) fit.
        let description = "照".repeat(43);
        assert_eq!(
            truncate(&description, DESCRIPTION_MAX_BYTES),
            "照".repeat(42)
        );
        assert_eq!(truncate("毕业照", DESCRIPTION_MAX_BYTES), "毕业照");
    }

    #[test]
    fn order_numbers_are_encoded_for_the_path() {
        assert_eq!(path_segment("GP2026-01_x"), "GP2026-01_x");
        assert_eq!(path_segment("a|b*c@d"), "a%7Cb%2Ac%40d");
    }

    #[test]
    fn rate_limits_and_outages_are_transient_refusals_are_not() {
        let rejected = |status, code: &str| PayError::Rejected {
            status,
            code: code.into(),
            message: String::new(),
        };
        assert!(rejected(429, "FREQUENCY_LIMITED").is_transient());
        assert!(PayError::Unavailable("timeout".into()).is_transient());
        assert!(!rejected(400, "ORDERPAID").is_transient());
        assert_eq!(
            rejected(404, "ORDER_NOT_EXIST").code(),
            Some("ORDER_NOT_EXIST")
        );
        assert!(!PayError::BadSignature(VerifyError::BadSignature).is_transient());
    }
}
