//! RSA signatures as APIv3 uses them: SHA256withRSA (PKCS#1 v1.5), base64, over lines that
//! each end in `\n`. The merchant signs requests and `wx.requestPayment` parameters; the
//! platform signs replies and notifications.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, ParsedPublicKey, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;
use time::OffsetDateTime;

use super::config_error::ConfigError;
use super::platform::{VerifyError, check_clock_skew};

/// The scheme of the `Authorization` header, and the `Wechatpay-Signature-Type` of replies.
pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// The message WeChat signs: every line followed by `\n`, the last one (the body) included.
pub fn message(lines: &[&[u8]]) -> Vec<u8> {
    let mut message = Vec::with_capacity(lines.iter().map(|line| line.len() + 1).sum());
    for line in lines {
        message.extend_from_slice(line);
        message.push(b'\n');
    }
    message
}

/// 32 random alphanumerics: the `nonce_str` of requests and payment parameters.
pub fn nonce() -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut nonce = String::with_capacity(32);
    let mut bytes = [0u8; 48];
    while nonce.len() < 32 {
        aws_lc_rs::rand::fill(&mut bytes).expect("the system random number generator works");
        let wanted = 32 - nonce.len();
        // Bytes below 248 = 4 × 62 map evenly onto the alphabet; the rest are dropped.
        nonce.extend(
            bytes
                .iter()
                .filter(|byte| **byte < 248)
                .take(wanted)
                .map(|byte| char::from(ALPHABET[usize::from(byte % 62)])),
        );
    }
    nonce
}

/// An RSA signing key and the serial number WeChat knows it by: the merchant's API key
/// (商户API私钥, serial of its 商户API证书). The local peer also signs as the platform with
/// one, under its public key id.
pub struct MerchantKey {
    serial: String,
    key_pair: RsaKeyPair,
}

impl std::fmt::Debug for MerchantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantKey")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl MerchantKey {
    /// Reads `apiclient_key.pem` as WeChat's tool writes it: PKCS#8 (`BEGIN PRIVATE KEY`).
    pub fn from_pem(serial: &str, pkcs8_pem: &str) -> Result<Self, ConfigError> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(pkcs8_pem.as_bytes())
            .map_err(|e| ConfigError::MerchantKey(e.to_string()))?;
        let key_pair = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|e| ConfigError::MerchantKey(e.to_string()))?;
        Ok(Self {
            serial: serial.to_owned(),
            key_pair,
        })
    }

    /// A fresh RSA-2048 key, for the local peer and tests.
    pub fn generate(serial: &str) -> Self {
        Self {
            serial: serial.to_owned(),
            key_pair: RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA-2048 key generation"),
        }
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The private key as PKCS#8 PEM: how the local peer hands a generated key to the service.
    pub fn to_pkcs8_pem(&self) -> String {
        let der = self
            .key_pair
            .as_der()
            .expect("an RSA key encodes as PKCS#8");
        pem("PRIVATE KEY", der.as_ref())
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        let spki = self
            .key_pair
            .public_key()
            .as_der()
            .expect("an RSA public key encodes as SubjectPublicKeyInfo");
        VerifyingKey::from_spki_der(spki.as_ref().to_vec())
            .expect("a generated or parsed key pair has a valid public key")
    }

    /// Base64 of SHA256withRSA (PKCS#1 v1.5) over `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut signature = vec![0; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .expect("signing with a valid RSA key into a modulus-sized buffer");
        BASE64.encode(signature)
    }

    /// The `Authorization` header of a request: `WECHATPAY2-SHA256-RSA2048 mchid="…",
    /// nonce_str="…",signature="…",timestamp="…",serial_no="…"` over
    /// `METHOD\nPATH_AND_QUERY\nTIMESTAMP\nNONCE\nBODY\n` (the body empty for a GET).
    pub fn authorization(
        &self,
        mchid: &str,
        method: &str,
        path_and_query: &str,
        timestamp: i64,
        nonce: &str,
        body: &str,
    ) -> String {
        let timestamp = timestamp.to_string();
        let signature = self.sign(&message(&[
            method.as_bytes(),
            path_and_query.as_bytes(),
            timestamp.as_bytes(),
            nonce.as_bytes(),
            body.as_bytes(),
        ]));
        format!(
            "{SCHEME} mchid=\"{mchid}\",nonce_str=\"{nonce}\",signature=\"{signature}\",\
             timestamp=\"{timestamp}\",serial_no=\"{}\"",
            self.serial
        )
    }
}

/// An RSA public key (SubjectPublicKeyInfo), parsed once, that checks APIv3 signatures.
#[derive(Clone)]
pub struct VerifyingKey {
    spki: Vec<u8>,
    key: ParsedPublicKey,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyingKey(RSA)")
    }
}

impl VerifyingKey {
    pub(crate) fn from_spki_der(spki: Vec<u8>) -> Result<Self, aws_lc_rs::error::KeyRejected> {
        let key = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &spki)?;
        Ok(Self { spki, key })
    }

    /// `signature` is base64, as in headers.
    pub fn verify(&self, message: &[u8], signature: &str) -> Result<(), VerifyError> {
        let signature = BASE64
            .decode(signature)
            .map_err(|_| VerifyError::BadSignature)?;
        self.key
            .verify_sig(message, &signature)
            .map_err(|_| VerifyError::BadSignature)
    }

    /// `BEGIN PUBLIC KEY` PEM, as WeChat hands out its 微信支付公钥.
    pub fn to_pem(&self) -> String {
        pem("PUBLIC KEY", &self.spki)
    }
}

/// A request's `Authorization` header taken apart, as WeChat's side reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub mchid: String,
    pub nonce_str: String,
    pub signature: String,
    pub timestamp: String,
    pub serial_no: String,
}

impl Authorization {
    /// `None` unless the scheme is [`SCHEME`] and all five quoted fields are present.
    pub fn parse(header: &str) -> Option<Self> {
        let fields = header.strip_prefix(SCHEME)?.strip_prefix(' ')?;
        let mut parsed = Self {
            mchid: String::new(),
            nonce_str: String::new(),
            signature: String::new(),
            timestamp: String::new(),
            serial_no: String::new(),
        };
        for field in fields.split(',') {
            let (name, value) = field.trim().split_once('=')?;
            let value = value.strip_prefix('"')?.strip_suffix('"')?.to_owned();
            match name {
                "mchid" => parsed.mchid = value,
                "nonce_str" => parsed.nonce_str = value,
                "signature" => parsed.signature = value,
                "timestamp" => parsed.timestamp = value,
                "serial_no" => parsed.serial_no = value,
                _ => {}
            }
        }
        let complete = [
            &parsed.mchid,
            &parsed.nonce_str,
            &parsed.signature,
            &parsed.timestamp,
            &parsed.serial_no,
        ]
        .iter()
        .all(|value| !value.is_empty());
        complete.then_some(parsed)
    }

    /// Checks the timestamp (within [`super::MAX_CLOCK_SKEW`] of `now`) and the signature
    /// over the request as received.
    pub fn verify(
        &self,
        key: &VerifyingKey,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), VerifyError> {
        check_clock_skew(&self.timestamp, now)?;
        key.verify(
            &message(&[
                method.as_bytes(),
                path_and_query.as_bytes(),
                self.timestamp.as_bytes(),
                self.nonce_str.as_bytes(),
                body,
            ]),
            &self.signature,
        )
    }
}

/// PEM with 64-character lines (RFC 7468).
fn pem(label: &str, der: &[u8]) -> String {
    let base64 = BASE64.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in base64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}
