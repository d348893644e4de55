//! The webhook on moto, fed WeChat's own Go SDK vector, the minted notifications of
//! `shared/wechat/tests/fixtures`, and notifications minted here with the fixtures' throw-away
//! platform key: what is recorded, what is refused, and that nothing unsigned changes a case.

use std::sync::Arc;

use domain::{Actor, Collection, CollectionStatus, OrderStatus, PaymentOrder, TaskId};
use lambda_http::http::Request;
use lambda_http::{Body, Response};
use localstack::TestEnv;
use localstack::peers::mint_notification;
use payment_webhook::Webhook;
use payments::Payments;
use serde_json::{Value, json};
use store::Table;
use time::OffsetDateTime;
use wechat::pay::{ApiV3Key, MerchantKey, PayClient, PayConfig};

fn fixture(name: &str) -> Value {
    let path = localstack::workspace_root()
        .join("shared/wechat/tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .expect(pointer)
}

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

/// One delivery: the headers WeChat Pay sends and the body.
#[derive(Clone)]
struct Delivery {
    headers: Vec<(String, String)>,
    body: String,
}

impl Delivery {
    fn of_case(case: &Value) -> Self {
        let headers = case["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        Self {
            headers,
            body: text(case, "/body").to_owned(),
        }
    }

    fn request(&self) -> Request<Body> {
        let mut request = Request::builder()
            .method("POST")
            .uri("/v1/payments/wechatpay/notify");
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        request.body(Body::Text(self.body.clone())).unwrap()
    }

    fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// The minted fixture: its platform key signs, its APIv3 key encrypts, its ids are the
/// merchant's.
struct Minted {
    json: Value,
    signer: MerchantKey,
    apiv3: ApiV3Key,
}

const APPID: &str = "wx1234567890abcdef";
const MCHID: &str = "1900000109";
const ORDER_NO: &str = "GP2026062000000001";

impl Minted {
    fn load() -> Self {
        let json = fixture("minted_v3_notifications.json");
        let signer = MerchantKey::from_pem(
            text(&json, "/public_key_id"),
            text(&json, "/private_key_pem_for_minting_more"),
        )
        .unwrap();
        let apiv3 = ApiV3Key::new(text(&json, "/apiv3_key").as_bytes()).unwrap();
        Self {
            json,
            signer,
            apiv3,
        }
    }

    fn now(&self) -> OffsetDateTime {
        at(self.json["now_unix"].as_i64().unwrap())
    }

    fn case(&self, name: &str) -> Delivery {
        Delivery::of_case(&self.json["cases"][name])
    }

    /// A notification of `event_type` with `resource`, signed at `timestamp`.
    fn mint(&self, event_type: &str, resource: &Value, timestamp: i64) -> Delivery {
        let minted = mint_notification(
            &self.signer,
            &self.apiv3,
            event_type,
            resource,
            timestamp,
            &wechat::pay::nonce(),
        );
        Delivery {
            headers: minted.headers,
            body: minted.body,
        }
    }

    fn transaction(&self, total: u32) -> Value {
        let mut plaintext = self.json["cases"]["transaction_success"]["expected_plaintext"].clone();
        plaintext["amount"]["total"] = json!(total);
        plaintext["amount"]["payer_total"] = json!(total);
        plaintext
    }

    /// The merchant's configuration: both platform key modes at once (the Go SDK's
    /// certificate and the minted public key), and the minted APIv3 key.
    fn config(&self, apiv3_key: &str) -> PayConfig {
        let go = fixture("go_sdk_vector.json");
        let merchant = MerchantKey::generate("MERCHANTSERIAL0001");
        let vars = [
            ("WECHATPAY_BASE_URL", "http://127.0.0.1:9".to_owned()),
            ("WECHATPAY_MCHID", MCHID.to_owned()),
            ("WECHAT_APPID", APPID.to_owned()),
            (
                "WECHATPAY_NOTIFY_URL",
                "https://example.invalid/notify".to_owned(),
            ),
            ("WECHATPAY_MERCHANT_SERIAL", merchant.serial().to_owned()),
            ("WECHATPAY_MERCHANT_KEY", merchant.to_pkcs8_pem()),
            ("WECHATPAY_APIV3_KEY", apiv3_key.to_owned()),
            (
                "WECHATPAY_PLATFORM_CERTS",
                text(&go, "/platform_certificate_pem").to_owned(),
            ),
            (
                "WECHATPAY_PUBLIC_KEY_ID",
                text(&self.json, "/public_key_id").to_owned(),
            ),
            (
                "WECHATPAY_PUBLIC_KEY",
                text(&self.json, "/public_key_pem").to_owned(),
            ),
        ];
        PayConfig::from_vars(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap()
    }
}

struct Harness {
    env: TestEnv,
    webhook: Webhook,
    minted: Minted,
    case: Collection,
}

impl Harness {
    /// A case awaiting payment with the fixture's order (3000 fen) placed.
    async fn new() -> Self {
        let minted = Minted::load();
        Self::with_key(minted, None).await
    }

    async fn with_key(minted: Minted, apiv3_key: Option<&str>) -> Self {
        let env = TestEnv::new().await;
        let key = apiv3_key
            .unwrap_or_else(|| text(&minted.json, "/apiv3_key"))
            .to_owned();
        let config = minted.config(&key);
        let client = PayClient::new(Arc::new(config), localstack::http_client());
        let webhook = Webhook::new(Payments::new(env.store.table.clone(), Arc::new(client)));
        let now = minted.now();
        let (case, created) = Collection::open(
            TaskId::new(),
            "2022001".into(),
            "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
            Actor::System("test".into()),
            now,
        );
        let table = &env.store.table;
        table.open_collection(&case, &created).await.unwrap();
        let mut order = PaymentOrder::new(case.id, case.owner.clone(), 3000, "test".into(), now);
        order.order_no = ORDER_NO.into();
        table.place_order(&order, None).await.unwrap();
        Self {
            env,
            webhook,
            minted,
            case,
        }
    }

    fn table(&self) -> &Table {
        &self.env.store.table
    }

    async fn deliver(&self, delivery: &Delivery, now: OffsetDateTime) -> u16 {
        let response: Response<Body> = self.webhook.handle_at(delivery.request(), now).await;
        response.status().as_u16()
    }

    async fn case_now(&self) -> Collection {
        self.table().collection(self.case.id).await.unwrap()
    }

    async fn commands(&self) -> Vec<String> {
        self.table()
            .events(self.case.id)
            .await
            .unwrap()
            .iter()
            .filter_map(|e| e.command.as_ref().map(|c| c.name().to_owned()))
            .collect()
    }
}

#[tokio::test]
async fn the_go_sdk_vector_verifies_decrypts_and_is_acknowledged() {
    let go = fixture("go_sdk_vector.json");
    let h = Harness::with_key(Minted::load(), Some(text(&go, "/apiv3_key"))).await;
    let delivery = Delivery::of_case(&go);
    let now = at(go["now_unix"].as_i64().unwrap());
    // A PAYSCORE event: authentic and readable (AES-128-GCM with the SDK's 16-byte key), so
    // acknowledged, and not ours to act on.
    assert_eq!(h.deliver(&delivery, now).await, 204);
    assert_eq!(h.case_now().await, h.case);
    // Stale a second past the window.
    let late = Delivery::of_case(&go);
    assert_eq!(
        h.deliver(&late, now + time::Duration::seconds(301)).await,
        401
    );
}

#[tokio::test]
async fn a_minted_payment_moves_the_case_once_and_probes_change_nothing() {
    let h = Harness::new().await;
    let now = h.minted.now();

    // WeChat's signature probes and a body altered after signing: refused before anything.
    for name in ["transaction_bad_signature", "transaction_tampered_body"] {
        assert_eq!(h.deliver(&h.minted.case(name), now).await, 401, "{name}");
    }
    // Unknown key, stale timestamp, missing header.
    let good = h.minted.case("transaction_success");
    let unknown = good
        .clone()
        .with_header("Wechatpay-Serial", "PUB_KEY_ID_NOT_OURS");
    assert_eq!(h.deliver(&unknown, now).await, 401);
    assert_eq!(
        h.deliver(&good, now + time::Duration::seconds(301)).await,
        401
    );
    assert_eq!(
        h.deliver(&good, now - time::Duration::seconds(301)).await,
        401
    );
    let mut headerless = good.clone();
    headerless
        .headers
        .retain(|(n, _)| n != "Wechatpay-Signature");
    assert_eq!(h.deliver(&headerless, now).await, 401);
    assert_eq!(h.case_now().await, h.case, "refusals changed the case");

    // The real one: recorded, the case paid by WeChat Pay.
    assert_eq!(h.deliver(&good, now).await, 204);
    let paid = h.case_now().await;
    assert_eq!(paid.status, CollectionStatus::AwaitingPhoto);
    let payment = paid.payment.clone().unwrap();
    assert_eq!(
        (
            payment.order_no.as_str(),
            payment.amount_fen,
            payment.transaction_id.as_str()
        ),
        (ORDER_NO, 3000, "4200002026062012345678901234")
    );
    let order = h.table().order(ORDER_NO).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    // The identical delivery again is a replay of its nonce.
    assert_eq!(h.deliver(&good, now).await, 401);
    assert_eq!(h.commands().await, ["confirm_payment"]);
    let events = h.table().events(h.case.id).await.unwrap();
    assert_eq!(events.last().unwrap().actor, Actor::PaymentProvider);
}

#[tokio::test]
async fn five_redeliveries_at_once_change_the_case_once() {
    let h = Harness::new().await;
    let now = h.minted.now();
    let transaction = h.minted.transaction(3000);
    // WeChat signs every delivery anew: five nonces, one event.
    let deliveries: Vec<Delivery> = (0..5)
        .map(|_| {
            h.minted
                .mint("TRANSACTION.SUCCESS", &transaction, now.unix_timestamp())
        })
        .collect();
    let statuses =
        futures_util::future::join_all(deliveries.iter().map(|d| h.deliver(d, now))).await;
    assert_eq!(statuses, [204; 5]);
    // And five more, one after another.
    for delivery in (0..5).map(|_| {
        h.minted
            .mint("TRANSACTION.SUCCESS", &transaction, now.unix_timestamp())
    }) {
        assert_eq!(h.deliver(&delivery, now).await, 204);
    }
    assert_eq!(h.commands().await, ["confirm_payment"]);
    assert_eq!(h.case_now().await.version, h.case.version + 1);
}

#[tokio::test]
async fn an_amount_mismatch_or_unknown_order_is_kept_for_an_operator_and_changes_nothing() {
    let h = Harness::new().await;
    let now = h.minted.now();
    let short = h.minted.mint(
        "TRANSACTION.SUCCESS",
        &h.minted.transaction(1),
        now.unix_timestamp(),
    );
    assert_eq!(h.deliver(&short, now).await, 204);
    let mut unknown = h.minted.transaction(3000);
    unknown["out_trade_no"] = json!("GP0000000000000000000000NONE");
    let unknown = h
        .minted
        .mint("TRANSACTION.SUCCESS", &unknown, now.unix_timestamp());
    assert_eq!(h.deliver(&unknown, now).await, 204);
    let mut foreign = h.minted.transaction(3000);
    foreign["mchid"] = json!("1900000999");
    let foreign = h
        .minted
        .mint("TRANSACTION.SUCCESS", &foreign, now.unix_timestamp());
    assert_eq!(h.deliver(&foreign, now).await, 204);

    assert_eq!(h.case_now().await, h.case);
    let order = h.table().order(ORDER_NO).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Created);
    let kinds: Vec<_> = h
        .table()
        .anomalies(10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.kind)
        .collect();
    // One anomaly per order and kind: the foreign-merchant report of the same order is the
    // mismatch already kept (its first detail), and the order left the reconciler's queue.
    use domain::AnomalyKind::*;
    assert_eq!(kinds, [Mismatch, UnknownOrder]);
    let later = now + time::Duration::days(1);
    assert!(h.table().open_orders(later, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_minted_refund_returns_the_case_to_awaiting_payment() {
    let h = Harness::new().await;
    let now = h.minted.now();
    assert_eq!(
        h.deliver(&h.minted.case("transaction_success"), now).await,
        204
    );
    // The student asked for the refund the fixture settles (its number is the fixture's).
    let refund_now = at(1782008100);
    let mut refund = domain::RefundRecord {
        refund_no: "RF2026062100000001".into(),
        order_no: ORDER_NO.into(),
        collection_id: h.case.id,
        amount_fen: 3000,
        status: domain::RefundStatus::Requested,
        requested_by: Actor::Student,
        reason: None,
        refund_id: None,
        created_at: refund_now,
        settled_at: None,
    };
    h.table()
        .transition_along(
            h.case.id,
            domain::Command::RequestRefund {
                order_no: ORDER_NO.into(),
                refund_no: refund.refund_no.clone(),
            },
            refund.requested_by.clone(),
            refund_now,
            &[store::Along::NewRefund(&refund)],
        )
        .await
        .unwrap();
    let delivery = h.minted.case("refund_success");
    assert_eq!(h.deliver(&delivery, refund_now).await, 204);
    let case = h.case_now().await;
    assert_eq!(case.status, CollectionStatus::AwaitingPayment);
    assert_eq!((case.payment, case.pending_refund), (None, None));
    refund = h.table().refund(&refund.refund_no).await.unwrap().unwrap();
    assert_eq!(refund.status, domain::RefundStatus::Succeeded);
    let order = h.table().order(ORDER_NO).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Refunded);
    assert_eq!(
        h.commands().await,
        ["confirm_payment", "request_refund", "refund"]
    );
    // A late copy of the payment's notification must not mark it paid again.
    let late = h.minted.mint(
        "TRANSACTION.SUCCESS",
        &h.minted.transaction(3000),
        refund_now.unix_timestamp(),
    );
    assert_eq!(h.deliver(&late, refund_now).await, 204);
    assert_eq!(h.case_now().await.status, CollectionStatus::AwaitingPayment);
}

mod fuzz {
    use std::sync::LazyLock;

    use proptest::prelude::*;

    use super::*;

    /// Ways to spoil an authentic delivery.
    #[derive(Debug, Clone)]
    enum Spoil {
        FlipBodyByte(usize, u8),
        Truncate(usize),
        Header(usize, String),
        DropHeader(usize),
        RandomBody(Vec<u8>),
    }

    const HEADERS: [&str; 4] = [
        "Wechatpay-Serial",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
    ];

    fn spoil() -> impl Strategy<Value = Spoil> {
        prop_oneof![
            (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Spoil::FlipBodyByte(i, x)),
            any::<usize>().prop_map(Spoil::Truncate),
            (0..4usize, ".{0,80}").prop_map(|(i, v)| Spoil::Header(i, v)),
            (0..4usize).prop_map(Spoil::DropHeader),
            prop::collection::vec(any::<u8>(), 0..2048).prop_map(Spoil::RandomBody),
        ]
    }

    fn apply(delivery: &Delivery, spoil: &Spoil) -> (Vec<(String, String)>, Vec<u8>) {
        let mut headers = delivery.headers.clone();
        let mut body = delivery.body.clone().into_bytes();
        match spoil {
            Spoil::FlipBodyByte(i, x) => {
                let i = i % body.len();
                body[i] ^= x;
            }
            Spoil::Truncate(n) => body.truncate(n % body.len()),
            Spoil::Header(i, value) => {
                headers.retain(|(n, _)| n != HEADERS[*i]);
                headers.push((HEADERS[*i].to_owned(), value.clone()));
            }
            Spoil::DropHeader(i) => headers.retain(|(n, _)| n != HEADERS[*i]),
            Spoil::RandomBody(bytes) => body = bytes.clone(),
        }
        (headers, body)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Never a panic, never a 2xx, never a change without a valid signature.
        #[test]
        fn spoiled_deliveries_are_refused_and_change_nothing(spoils in prop::collection::vec(spoil(), 1..8)) {
            let h: &Harness = &HARNESS;
            RUNTIME.block_on(async {
                let now = h.minted.now();
                let good = h.minted.case("transaction_success");
                for spoil in &spoils {
                    let (headers, body) = apply(&good, spoil);
                    // A header value that is not valid in HTTP cannot reach the function.
                    let Ok(request) = headers
                        .iter()
                        .fold(Request::builder().method("POST").uri("/notify"), |r, (n, v)| r.header(n.as_str(), v.as_str()))
                        .body(Body::Binary(body))
                    else {
                        continue;
                    };
                    let status = h.webhook.handle_at(request, now).await.status().as_u16();
                    prop_assert!(matches!(status, 400 | 401), "{spoil:?} got {status}");
                }
                prop_assert_eq!(h.case_now().await, h.case.clone());
                Ok(())
            })?;
        }
    }

    /// One runtime and one harness for all cases: provisioning per case would dominate the
    /// run, and the SDK's connections belong to the runtime that opened them.
    static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
    });
    static HARNESS: LazyLock<Harness> = LazyLock::new(|| RUNTIME.block_on(Harness::new()));
}

/// What a test's subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_signed_notification_of_the_wrong_form_is_refused_and_its_values_never_logged() {
    let h = Harness::new().await;
    // Authentic (signed and encrypted with the merchant's keys), but the amount is a string:
    // serde's message would quote it, and with it the payer's account.
    const PAYER: &str = "oSECRETpayer0penidXYZ";
    let mut resource = h.minted.transaction(3000);
    resource["payer"]["openid"] = json!(PAYER);
    resource["amount"]["total"] = json!(format!("{PAYER} 3000"));
    let now = h.minted.now();
    let delivery = h
        .minted
        .mint("TRANSACTION.SUCCESS", &resource, now.unix_timestamp());

    // Logged as a function logs, with `RUST_LOG=trace`: the most a debugging session can ask.
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_env_filter(store::logging::filter(Some("trace")))
        .finish();
    let status = {
        let _logging = tracing::subscriber::set_default(subscriber);
        h.deliver(&delivery, now).await
    };
    assert_eq!(status, 400);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("notification refused: malformed") && logs.contains("wrong type"),
        "{logs}"
    );
    for value in [PAYER, ORDER_NO] {
        assert!(!logs.contains(value), "{value} logged: {logs}");
    }
    assert_eq!(h.commands().await, Vec::<String>::new(), "nothing applied");
}
