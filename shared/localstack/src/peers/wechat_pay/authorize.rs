//! WeChat's check of the merchant's signature on a request.

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method};
use time::OffsetDateTime;
use wechat::pay::{Authorization, SCHEME};

use super::state::Peer;

impl Peer {
    /// WeChat's check of a request: its scheme, the merchant's mchid and certificate serial,
    /// a timestamp within 300 s, and the signature over the request as received.
    pub(super) fn authorize(
        &self,
        method: &Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        let header = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or("Authorization header is missing")?;
        let authorization = Authorization::parse(header)
            .ok_or_else(|| format!("Authorization is not {SCHEME} with all five fields"))?;
        if authorization.mchid != self.mchid {
            return Err(format!(
                "mchid {} is not this merchant",
                authorization.mchid
            ));
        }
        if authorization.serial_no != self.merchant_serial {
            return Err(format!(
                "serial_no {} is not the merchant's certificate",
                authorization.serial_no
            ));
        }
        authorization
            .verify(
                &self.merchant,
                method.as_str(),
                path_and_query,
                body,
                OffsetDateTime::now_utc(),
            )
            .map_err(|e| format!("signature check failed: {e}"))
    }
}
