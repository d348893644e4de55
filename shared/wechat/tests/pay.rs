//! WeChat Pay API v3 primitives against WeChat's own Go SDK vector and minted notifications.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use time::OffsetDateTime;
use wechat::pay::{
    ApiV3Key, Authorization, ConfigError, Event, MerchantKey, Notification, NotificationError,
    PayClient, PayConfig, PlatformKeys, RefundStatus, Signed, TradeState, Transaction, VerifyError,
    message,
};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect("fixture JSON")
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .expect(pointer)
}

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).expect("a Unix time")
}

/// A notification case's headers (looked up as written) and body.
fn signed(case: &Value) -> Signed<'_> {
    Signed::from_headers(
        |name| case["headers"].get(name).and_then(Value::as_str),
        text(case, "/body").as_bytes(),
    )
    .expect("all four Wechatpay-* headers")
}

struct Minted {
    json: Value,
    now: i64,
}

impl Minted {
    fn load() -> Self {
        let json = fixture("minted_v3_notifications.json");
        let now = json["now_unix"].as_i64().expect("now_unix");
        Self { json, now }
    }

    fn case(&self, name: &str) -> &Value {
        &self.json["cases"][name]
    }

    fn public_keys(&self) -> PlatformKeys {
        let mut keys = PlatformKeys::new();
        keys.add_public_key_pem(
            text(&self.json, "/public_key_id"),
            text(&self.json, "/public_key_pem"),
        )
        .expect("the minted public key");
        keys
    }

    fn apiv3_key(&self) -> ApiV3Key {
        ApiV3Key::new(text(&self.json, "/apiv3_key").as_bytes()).expect("a 32-byte key")
    }

    fn timestamp(&self, case: &str) -> i64 {
        text(self.case(case), "/headers/Wechatpay-Timestamp")
            .parse()
            .expect("a Unix time")
    }
}

#[test]
fn go_sdk_vector_verifies_with_its_certificate_and_decrypts_with_aes_128() {
    let vector = fixture("go_sdk_vector.json");
    let mut keys = PlatformKeys::new();
    let serials = keys
        .add_certificates_pem(text(&vector, "/platform_certificate_pem"))
        .expect("the SDK's certificate");
    assert_eq!(serials, ["D7CE59D1F522D701"]);

    let now = vector["now_unix"].as_i64().expect("now_unix");
    keys.verify(&signed(&vector), at(now))
        .expect("valid at now_unix");

    let notification = Notification::parse(text(&vector, "/body").as_bytes()).expect("envelope");
    let key = ApiV3Key::new(text(&vector, "/apiv3_key").as_bytes()).expect("a 16-byte key");
    let plaintext = key.decrypt(&notification.resource).expect("decrypts");
    assert_eq!(plaintext, text(&vector, "/expected_plaintext").as_bytes());
    assert_eq!(
        notification.open(&key).expect("opens"),
        Event::Other {
            event_type: "PAYSCORE.USER_OPEN_SERVICE".into()
        }
    );
}

#[test]
fn a_signature_is_good_for_300_seconds_either_way_and_no_longer() {
    let vector = fixture("go_sdk_vector.json");
    let mut keys = PlatformKeys::new();
    keys.add_certificates_pem(text(&vector, "/platform_certificate_pem"))
        .expect("the SDK's certificate");
    let now = vector["now_unix"].as_i64().expect("now_unix");
    let signed = signed(&vector);

    assert_eq!(
        keys.verify(&signed, at(now + 301)),
        Err(VerifyError::StaleTimestamp { skew_seconds: 301 })
    );
    keys.verify(&signed, at(now + 300))
        .expect("300 s late is on time");
    keys.verify(&signed, at(now - 300))
        .expect("300 s early is on time");
    assert_eq!(
        keys.verify(&signed, at(now - 301)),
        Err(VerifyError::StaleTimestamp { skew_seconds: -301 })
    );
}

#[test]
fn payment_notification_verifies_with_the_public_key_and_opens_to_the_transaction() {
    let minted = Minted::load();
    let case = minted.case("transaction_success");
    minted
        .public_keys()
        .verify(&signed(case), at(minted.now))
        .expect("verifies");

    let notification = Notification::parse(text(case, "/body").as_bytes()).expect("envelope");
    assert_eq!(notification.event_type, "TRANSACTION.SUCCESS");
    let Event::Transaction(transaction) = notification.open(&minted.apiv3_key()).expect("opens")
    else {
        panic!("not a transaction");
    };
    assert_eq!(transaction.out_trade_no, "GP2026062000000001");
    assert_eq!(transaction.trade_state, TradeState::Success);
    assert_eq!(
        transaction.transaction_id.as_deref(),
        Some("4200002026062012345678901234")
    );
    let amount = transaction.amount.expect("amount");
    assert_eq!((amount.total, amount.payer_total), (3000, Some(3000)));
    assert_eq!(amount.currency, "CNY");
    assert_eq!(
        transaction.payer.expect("payer").openid,
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    );
    assert_eq!(
        transaction.success_time,
        Some(time::macros::datetime!(2026-06-20 10:14:58 +08:00))
    );
}

#[test]
fn refund_notification_verifies_and_opens_to_the_refund() {
    let minted = Minted::load();
    let case = minted.case("refund_success");
    minted
        .public_keys()
        .verify(&signed(case), at(minted.timestamp("refund_success")))
        .expect("verifies");

    let notification = Notification::parse(text(case, "/body").as_bytes()).expect("envelope");
    let Event::Refund(refund) = notification.open(&minted.apiv3_key()).expect("opens") else {
        panic!("not a refund");
    };
    assert_eq!(refund.status, RefundStatus::Success);
    assert_eq!(refund.out_trade_no, "GP2026062000000001");
    assert_eq!(refund.out_refund_no, "RF2026062100000001");
    assert_eq!(refund.transaction_id, "4200002026062012345678901234");
    assert_eq!(refund.mchid.as_deref(), Some("1900000109"));
    assert_eq!((refund.amount.total, refund.amount.refund), (3000, 3000));
}

#[test]
fn a_corrupted_signature_is_refused() {
    let minted = Minted::load();
    assert_eq!(
        minted.public_keys().verify(
            &signed(minted.case("transaction_bad_signature")),
            at(minted.now)
        ),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn a_body_altered_after_signing_is_refused() {
    let minted = Minted::load();
    assert_eq!(
        minted.public_keys().verify(
            &signed(minted.case("transaction_tampered_body")),
            at(minted.now)
        ),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn a_serial_we_hold_no_key_for_is_refused() {
    let minted = Minted::load();
    let case = minted.case("transaction_success");
    let mut unknown = signed(case);
    unknown.serial = "PUB_KEY_ID_0114000000000000000000000000";
    assert_eq!(
        minted.public_keys().verify(&unknown, at(minted.now)),
        Err(VerifyError::UnknownSerial(
            "PUB_KEY_ID_0114000000000000000000000000".into()
        ))
    );
    // Nor does a certificate-only configuration know a public key id.
    let mut certificates_only = PlatformKeys::new();
    certificates_only
        .add_certificates_pem(text(
            &fixture("go_sdk_vector.json"),
            "/platform_certificate_pem",
        ))
        .expect("certificate");
    assert!(matches!(
        certificates_only.verify(&signed(case), at(minted.now)),
        Err(VerifyError::UnknownSerial(_))
    ));
}

#[test]
fn certificates_and_public_keys_work_side_by_side_during_migration() {
    let minted = Minted::load();
    let vector = fixture("go_sdk_vector.json");
    let mut keys = minted.public_keys();
    keys.add_certificates_pem(text(&vector, "/platform_certificate_pem"))
        .expect("certificate");

    keys.verify(&signed(minted.case("transaction_success")), at(minted.now))
        .expect("public-key mode");
    keys.verify(&signed(&vector), at(vector["now_unix"].as_i64().unwrap()))
        .expect("certificate mode");
}

#[test]
fn missing_header_is_named() {
    let minted = Minted::load();
    let case = minted.case("transaction_success");
    let without_nonce = Signed::from_headers(
        |name| {
            (name != "Wechatpay-Nonce" && name != "wechatpay-nonce")
                .then(|| case["headers"].get(name).and_then(Value::as_str))
                .flatten()
        },
        b"{}",
    );
    assert_eq!(
        without_nonce,
        Err(VerifyError::MissingHeader("Wechatpay-Nonce"))
    );
}

/// PEM for a DER key, as the test's own encoder (independent of the crate's).
fn pem(label: &str, der: &[u8]) -> String {
    let body = BASE64.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[test]
fn request_authorization_verifies_with_the_merchant_public_key() {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("a 2048-bit key");
    let pkcs8 = pair.as_der().expect("PKCS#8");
    let merchant = MerchantKey::from_pem("4E1F5A", &pem("PRIVATE KEY", pkcs8.as_ref()))
        .expect("a PKCS#8 PEM key");

    let body = r#"{"mchid":"1900000109"}"#;
    let header = merchant.authorization(
        "1900000109",
        "POST",
        "/v3/pay/transactions/out-trade-no/GP1/close",
        1_781_921_700,
        "NONCE123",
        body,
    );
    assert!(header.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000109\","));
    let authorization = Authorization::parse(&header).expect("parses");
    assert_eq!(authorization.serial_no, "4E1F5A");
    assert_eq!(authorization.timestamp, "1781921700");

    // Checked with aws-lc-rs directly, over the message as WeChat documents it.
    let signed = "POST\n/v3/pay/transactions/out-trade-no/GP1/close\n1781921700\nNONCE123\n\
                  {\"mchid\":\"1900000109\"}\n";
    let signature = BASE64.decode(&authorization.signature).expect("base64");
    UnparsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        pair.public_key().as_ref(),
    )
    .verify(signed.as_bytes(), &signature)
    .expect("SHA256withRSA over the request");

    // And as the local peer checks it.
    let key = merchant.verifying_key();
    authorization
        .verify(
            &key,
            "POST",
            "/v3/pay/transactions/out-trade-no/GP1/close",
            body.as_bytes(),
            at(1_781_921_700),
        )
        .expect("verifies");
    assert_eq!(
        authorization.verify(&key, "GET", "/v3/other", body.as_bytes(), at(1_781_921_700)),
        Err(VerifyError::BadSignature)
    );
}

fn local_config(merchant: &MerchantKey, platform: &MerchantKey) -> PayConfig {
    let vars = [
        ("WECHATPAY_MCHID", "1900000109".to_owned()),
        ("WECHAT_APPID", "wx1234567890abcdef".to_owned()),
        ("WECHATPAY_NOTIFY_URL", "https://example.com/pay".to_owned()),
        ("WECHATPAY_MERCHANT_SERIAL", merchant.serial().to_owned()),
        // As a single-line secret store keeps it.
        (
            "WECHATPAY_MERCHANT_KEY",
            merchant.to_pkcs8_pem().replace('\n', "\\n"),
        ),
        (
            "WECHATPAY_APIV3_KEY",
            "0123456789abcdefghijklmnopqrstuv".to_owned(),
        ),
        ("WECHATPAY_PUBLIC_KEY_ID", platform.serial().to_owned()),
        ("WECHATPAY_PUBLIC_KEY", platform.verifying_key().to_pem()),
    ];
    PayConfig::from_vars(|name| {
        vars.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| value.clone())
    })
    .expect("a complete configuration")
}

#[test]
fn pay_sign_verifies_with_the_merchant_public_key() {
    let merchant = MerchantKey::generate("4E1F5A");
    let platform = MerchantKey::generate("PUB_KEY_ID_0114000000000000000000000001");
    let config = local_config(&merchant, &platform);
    let client = PayClient::new(
        std::sync::Arc::new(config),
        wechat::http_client(std::time::Duration::from_secs(1)),
    );

    let payment = client.payment_parameters(
        "wx201410272009395522657a690389285100",
        1_781_921_700,
        "N0NCE",
    );
    let json = serde_json::to_value(&payment).expect("serializes");
    assert_eq!(json["appId"], "wx1234567890abcdef");
    assert_eq!(json["timeStamp"], "1781921700");
    assert_eq!(json["nonceStr"], "N0NCE");
    assert_eq!(
        json["package"],
        "prepay_id=wx201410272009395522657a690389285100"
    );
    assert_eq!(json["signType"], "RSA");
    merchant
        .verifying_key()
        .verify(
            &message(&[
                b"wx1234567890abcdef",
                b"1781921700",
                b"N0NCE",
                b"prepay_id=wx201410272009395522657a690389285100",
            ]),
            &payment.pay_sign,
        )
        .expect("paySign verifies");
}

#[test]
fn configuration_debug_shows_no_key_material() {
    let merchant = MerchantKey::generate("4E1F5A");
    let platform = MerchantKey::generate("PUB_KEY_ID_0114000000000000000000000001");
    let debug = format!("{:?}", local_config(&merchant, &platform));
    assert!(debug.contains("4E1F5A") && debug.contains("PUB_KEY_ID_0114"));
    assert!(!debug.contains("0123456789abcdef"), "{debug}");
    assert!(!debug.contains("PRIVATE"), "{debug}");
}

#[test]
fn configuration_needs_a_platform_key() {
    let merchant = MerchantKey::generate("4E1F5A");
    let pem = merchant.to_pkcs8_pem();
    let vars = |name: &str| match name {
        "WECHATPAY_MCHID" => Some("1900000109".to_owned()),
        "WECHAT_APPID" => Some("wx1".to_owned()),
        "WECHATPAY_NOTIFY_URL" => Some("https://example.com/pay".to_owned()),
        "WECHATPAY_MERCHANT_SERIAL" => Some("4E1F5A".to_owned()),
        "WECHATPAY_MERCHANT_KEY" => Some(pem.clone()),
        "WECHATPAY_APIV3_KEY" => Some("0123456789abcdefghijklmnopqrstuv".to_owned()),
        "WECHATPAY_PUBLIC_KEY_ID" => Some(String::new()),
        _ => None,
    };
    assert!(matches!(
        PayConfig::from_vars(vars),
        Err(ConfigError::NoPlatformKey)
    ));
}

#[test]
fn apiv3_key_round_trips_and_detects_a_flipped_bit() {
    let key = ApiV3Key::new(b"0123456789abcdefghijklmnopqrstuv").expect("32 bytes");
    let resource = key.encrypt(
        "b08Ye+ovyskl",
        "transaction",
        b"{\"trade_state\":\"SUCCESS\"}",
    );
    assert_eq!(resource.algorithm, "AEAD_AES_256_GCM");
    assert_eq!(
        key.decrypt(&resource).expect("decrypts"),
        b"{\"trade_state\":\"SUCCESS\"}"
    );

    let mut bytes = BASE64.decode(&resource.ciphertext).expect("base64");
    bytes[3] ^= 0x01;
    let mut flipped = resource.clone();
    flipped.ciphertext = BASE64.encode(bytes);
    assert!(matches!(
        key.decrypt(&flipped),
        Err(NotificationError::Decrypt)
    ));

    let mut other_data = resource.clone();
    other_data.associated_data = "refund".into();
    assert!(matches!(
        key.decrypt(&other_data),
        Err(NotificationError::Decrypt)
    ));

    let other_key = ApiV3Key::new(b"vutsrqponmlkjihgfedcba9876543210").expect("32 bytes");
    assert!(matches!(
        other_key.decrypt(&resource),
        Err(NotificationError::Decrypt)
    ));
}

#[test]
fn apiv3_key_must_be_32_or_16_bytes() {
    for length in [0, 15, 24, 31, 33] {
        assert!(matches!(
            ApiV3Key::new(&vec![b'k'; length]),
            Err(ConfigError::ApiV3KeyLength(l)) if l == length
        ));
    }
    ApiV3Key::new(&[b'k'; 16]).expect("AES-128 key");
}

#[test]
fn an_unpaid_order_parses_with_its_sparse_fields() {
    // WeChat's reply for an unpaid order: no transaction_id, an empty payer, no currency.
    let transaction: Transaction = serde_json::from_str(
        r#"{"amount":{"payer_currency":"CNY","total":3000},"appid":"wx1","mchid":"1900000109",
            "out_trade_no":"GP1","payer":{},"promotion_detail":[],"trade_state":"NOTPAY",
            "trade_state_desc":"订单未支付"}"#,
    )
    .expect("parses");
    assert_eq!(transaction.trade_state, TradeState::NotPay);
    assert_eq!(transaction.transaction_id, None);
    assert_eq!(transaction.success_time, None);
    assert_eq!(transaction.amount.map(|a| a.total), Some(3000));
}

#[test]
fn states_wechat_adds_later_are_kept_not_refused() {
    let state: TradeState = serde_json::from_str("\"ACCEPT\"").expect("parses");
    assert_eq!(state, TradeState::Other("ACCEPT".into()));
    assert_eq!(state.as_str(), "ACCEPT");
    assert_eq!(
        RefundStatus::from("ABNORMAL".to_owned()),
        RefundStatus::Abnormal
    );
}

#[test]
fn nonces_are_32_alphanumerics_and_differ() {
    let (a, b) = (wechat::pay::nonce(), wechat::pay::nonce());
    assert_eq!(a.len(), 32);
    assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(a, b);
}
