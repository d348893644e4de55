//! The platform's side of the signatures: what WeChat signs its replies and notifications
//! with, and the checks a reader must make before trusting either.

use std::collections::BTreeMap;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, SubjectPublicKeyInfoDer};
use time::{Duration, OffsetDateTime};

use super::config_error::ConfigError;
use super::signing::{VerifyingKey, message};

/// WeChat's rule: a signature more than five minutes from the reader's clock, either way, is
/// refused, so a captured notification cannot be replayed later.
pub const MAX_CLOCK_SKEW: Duration = Duration::seconds(300);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// Not a serial we hold a key for: a rotated certificate we were not given, or a forgery.
    #[error("no platform key has serial {0}")]
    UnknownSerial(String),
    #[error("the timestamp is not a Unix time in seconds")]
    BadTimestamp,
    #[error("signed {skew_seconds} s before now, more than 300 s either way")]
    StaleTimestamp { skew_seconds: i64 },
    #[error("the signature does not verify")]
    BadSignature,
}

/// The four `Wechatpay-*` values and the body they sign, as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signed<'a> {
    pub serial: &'a str,
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub signature: &'a str,
    pub body: &'a [u8],
}

impl<'a> Signed<'a> {
    /// Reads the headers through `get`, asked for each name as WeChat spells it
    /// (`Wechatpay-Serial`) and then in lower case, so both an `http::HeaderMap` and an API
    /// Gateway event's lower-cased map work.
    pub fn from_headers(
        get: impl Fn(&str) -> Option<&'a str>,
        body: &'a [u8],
    ) -> Result<Self, VerifyError> {
        let header = |name: &'static str| {
            get(name)
                .or_else(|| get(&name.to_ascii_lowercase()))
                .ok_or(VerifyError::MissingHeader(name))
        };
        Ok(Self {
            serial: header("Wechatpay-Serial")?,
            timestamp: header("Wechatpay-Timestamp")?,
            nonce: header("Wechatpay-Nonce")?,
            signature: header("Wechatpay-Signature")?,
            body,
        })
    }
}

/// The platform's verification keys by `Wechatpay-Serial`: platform certificates (平台证书,
/// by certificate serial) and 微信支付公钥 (by `PUB_KEY_ID_…`). Both may be held at once, as
/// during WeChat's migration from certificates to public keys.
#[derive(Default, Clone)]
pub struct PlatformKeys {
    keys: BTreeMap<String, VerifyingKey>,
}

impl std::fmt::Debug for PlatformKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.keys.keys()).finish()
    }
}

impl PlatformKeys {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds every certificate in `pem` (one or more, concatenated) under its serial number in
    /// upper-case hex without leading zero bytes, which is how `Wechatpay-Serial` names it.
    /// Returns the serials added.
    pub fn add_certificates_pem(&mut self, pem: &str) -> Result<Vec<String>, ConfigError> {
        let mut added = Vec::new();
        for der in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let der = der.map_err(|e| ConfigError::Certificate(e.to_string()))?;
            let cert = webpki::EndEntityCert::try_from(&der)
                .map_err(|e| ConfigError::Certificate(e.to_string()))?;
            let serial: String = cert
                .serial()
                .iter()
                .skip_while(|byte| **byte == 0)
                .map(|byte| format!("{byte:02X}"))
                .collect();
            let key = VerifyingKey::from_spki_der(cert.subject_public_key_info().to_vec())
                .map_err(|e| ConfigError::Certificate(format!("{serial}: {e}")))?;
            added.push((serial, key));
        }
        if added.is_empty() {
            return Err(ConfigError::Certificate("no certificate in the PEM".into()));
        }
        Ok(added
            .into_iter()
            .map(|(serial, key)| {
                self.keys.insert(serial.clone(), key);
                serial
            })
            .collect())
    }

    /// Adds a 微信支付公钥 (`BEGIN PUBLIC KEY` PEM) under its id, `PUB_KEY_ID_…`.
    pub fn add_public_key_pem(&mut self, id: &str, pem: &str) -> Result<(), ConfigError> {
        let rejected = |reason: String| ConfigError::PublicKey {
            id: id.to_owned(),
            reason,
        };
        let der = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| rejected(e.to_string()))?;
        let key = VerifyingKey::from_spki_der(der.to_vec()).map_err(|e| rejected(e.to_string()))?;
        self.keys.insert(id.to_owned(), key);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn serials(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Checks a reply or notification: a known serial, a timestamp within
    /// [`MAX_CLOCK_SKEW`] of `now` either way, and the signature over
    /// `timestamp\nnonce\nbody\n`.
    pub fn verify(&self, signed: &Signed<'_>, now: OffsetDateTime) -> Result<(), VerifyError> {
        let key = self
            .keys
            .get(signed.serial)
            .ok_or_else(|| VerifyError::UnknownSerial(signed.serial.to_owned()))?;
        check_clock_skew(signed.timestamp, now)?;
        key.verify(
            &message(&[
                signed.timestamp.as_bytes(),
                signed.nonce.as_bytes(),
                signed.body,
            ]),
            signed.signature,
        )
    }
}

/// `timestamp` (Unix seconds) is within [`MAX_CLOCK_SKEW`] of `now`.
pub(crate) fn check_clock_skew(timestamp: &str, now: OffsetDateTime) -> Result<(), VerifyError> {
    let signed_at: i64 = timestamp.parse().map_err(|_| VerifyError::BadTimestamp)?;
    let skew_seconds = now
        .unix_timestamp()
        .checked_sub(signed_at)
        .ok_or(VerifyError::BadTimestamp)?;
    if skew_seconds.unsigned_abs() > MAX_CLOCK_SKEW.whole_seconds().unsigned_abs() {
        return Err(VerifyError::StaleTimestamp { skew_seconds });
    }
    Ok(())
}
