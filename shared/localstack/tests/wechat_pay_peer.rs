//! The local WeChat Pay peer behaves as WeChat does towards `wechat::pay::PayClient`: orders,
//! payment, refunds, signed replies and notifications, and its refusals.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use localstack::peers::{SignedNotification, WeChatPayPeer};
use serde_json::json;
use time::OffsetDateTime;
use wechat::pay::{
    Event, JsapiOrder, MerchantKey, Notification, PayClient, PayConfig, PayError, RefundRequest,
    RefundStatus, TradeState, VerifyError,
};

const MCHID: &str = "1900000109";
const APPID: &str = "wx1234567890abcdef";
const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

fn config(vars: &[(String, String)]) -> Arc<PayConfig> {
    let vars: HashMap<_, _> = vars.iter().cloned().collect();
    Arc::new(PayConfig::from_vars(|name| vars.get(name).cloned()).expect("the peer's variables"))
}

fn client(config: Arc<PayConfig>) -> PayClient {
    PayClient::new(config, wechat::http_client(Duration::from_secs(5)))
}

fn order(out_trade_no: &str) -> JsapiOrder {
    JsapiOrder {
        out_trade_no: out_trade_no.into(),
        description: "毕业证件照 采集".into(),
        amount_fen: 3000,
        payer_openid: OPENID.into(),
        time_expire: OffsetDateTime::now_utc() + time::Duration::minutes(30),
    }
}

/// What the service does with a notification: verify, then open.
fn open(config: &PayConfig, notification: &SignedNotification) -> Event {
    let signed = notification.signed().expect("Wechatpay-* headers");
    config
        .platform
        .verify(&signed, OffsetDateTime::now_utc())
        .expect("signed by the platform key");
    Notification::parse(notification.body.as_bytes())
        .expect("an envelope")
        .open(&config.apiv3_key)
        .expect("decrypts with the APIv3 key")
}

fn rejected_code(result: Result<impl std::fmt::Debug, PayError>) -> String {
    match result {
        Err(PayError::Rejected { code, .. }) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_order_is_placed_paid_and_refunded_as_on_wechat() {
    let peer = WeChatPayPeer::start(MCHID, APPID).await;
    let config = config(&peer.vars("https://photo.example/pay/notify"));
    let client = client(Arc::clone(&config));
    let order = order("GP2026062000000001");

    let prepay_id = client.create_jsapi_order(&order).await.expect("placed");
    assert_eq!(
        client
            .create_jsapi_order(&order)
            .await
            .expect("placed again"),
        prepay_id,
        "the same order placed again keeps its prepay_id"
    );
    let changed = JsapiOrder {
        amount_fen: 2000,
        ..order.clone()
    };
    assert_eq!(
        rejected_code(client.create_jsapi_order(&changed).await),
        "INVALID_REQUEST"
    );

    let unpaid = client
        .query_order(&order.out_trade_no)
        .await
        .expect("found");
    assert_eq!(unpaid.trade_state, TradeState::NotPay);
    assert_eq!(unpaid.transaction_id, None);
    assert_eq!(unpaid.amount.map(|a| a.total), Some(3000));

    let paid = peer.pay(&order.out_trade_no).expect("an unpaid order");
    let Event::Transaction(transaction) = open(&config, &paid) else {
        panic!("not a transaction");
    };
    assert_eq!(transaction.trade_state, TradeState::Success);
    assert_eq!(transaction.out_trade_no, order.out_trade_no);
    assert_eq!(
        (transaction.appid.as_str(), transaction.mchid.as_str()),
        (APPID, MCHID)
    );
    assert_eq!(
        transaction.amount.as_ref().map(|a| a.payer_total),
        Some(Some(3000))
    );
    let transaction_id = transaction.transaction_id.expect("a transaction id");
    assert!(transaction_id.starts_with("42000"), "{transaction_id}");
    assert!(
        peer.pay(&order.out_trade_no).is_none(),
        "an order is paid once"
    );

    let queried = client
        .query_order(&order.out_trade_no)
        .await
        .expect("found");
    assert_eq!(queried.trade_state, TradeState::Success);
    assert_eq!(queried.transaction_id.as_ref(), Some(&transaction_id));
    assert!(queried.success_time.is_some());
    assert_eq!(
        rejected_code(client.create_jsapi_order(&order).await),
        "ORDERPAID"
    );

    let request = RefundRequest {
        out_trade_no: order.out_trade_no.clone(),
        out_refund_no: "RF2026062100000001".into(),
        reason: Some("拍摄取消".into()),
        refund_fen: 3000,
        total_fen: 3000,
    };
    let refund = client.refund(&request).await.expect("accepted");
    assert_eq!(refund.status, RefundStatus::Processing);
    assert_eq!(refund.transaction_id, transaction_id);
    assert_eq!(
        client.refund(&request).await.expect("a retry").refund_id,
        refund.refund_id,
        "retrying a refund does not refund twice"
    );
    let more = RefundRequest {
        out_refund_no: "RF2026062100000002".into(),
        refund_fen: 1,
        ..request.clone()
    };
    assert_eq!(rejected_code(client.refund(&more).await), "INVALID_REQUEST");

    let settled = peer
        .settle_refund(&request.out_refund_no, RefundStatus::Success)
        .expect("a known refund");
    assert_eq!(
        settled.header("wechatpay-serial"),
        Some(peer.public_key_id.as_str())
    );
    let Event::Refund(notice) = open(&config, &settled) else {
        panic!("not a refund");
    };
    assert_eq!(notice.status, RefundStatus::Success);
    assert_eq!(notice.out_refund_no, request.out_refund_no);
    assert_eq!((notice.amount.total, notice.amount.refund), (3000, 3000));
    assert!(notice.success_time.is_some());

    let queried = client
        .query_refund(&request.out_refund_no)
        .await
        .expect("found");
    assert_eq!(queried.status, RefundStatus::Success);
    let order_state = client
        .query_order(&order.out_trade_no)
        .await
        .expect("found");
    assert_eq!(order_state.trade_state, TradeState::Refund);

    assert!(peer.requests().iter().all(|request| request.authorized));
}

#[tokio::test]
async fn unknown_orders_and_refunds_are_not_found() {
    let peer = WeChatPayPeer::start(MCHID, APPID).await;
    let client = client(config(&peer.vars("https://photo.example/pay/notify")));
    assert_eq!(
        rejected_code(client.query_order("GP0000000000000404").await),
        "ORDER_NOT_EXIST"
    );
    assert_eq!(
        rejected_code(client.query_refund("RF0000000000000404").await),
        "RESOURCE_NOT_EXISTS"
    );
}

#[tokio::test]
async fn a_request_signed_with_another_merchant_key_is_refused() {
    let peer = WeChatPayPeer::start(MCHID, APPID).await;
    let mut vars = peer.vars("https://photo.example/pay/notify");
    let serial = vars
        .iter()
        .find(|(name, _)| name == "WECHATPAY_MERCHANT_SERIAL")
        .map(|(_, serial)| serial.clone())
        .expect("a serial");
    for (name, value) in &mut vars {
        if name == "WECHATPAY_MERCHANT_KEY" {
            *value = MerchantKey::generate(&serial).to_pkcs8_pem();
        }
    }
    let client = client(config(&vars));

    match client.query_order("GP2026062000000001").await {
        Err(PayError::Rejected { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (401, "SIGN_ERROR"));
        }
        other => panic!("expected SIGN_ERROR, got {other:?}"),
    }
    let requests = peer.requests();
    assert_eq!(requests.len(), 1);
    assert!(!requests[0].authorized);
    assert_eq!(
        requests[0].path,
        "/v3/pay/transactions/out-trade-no/GP2026062000000001"
    );
}

#[tokio::test]
async fn a_paid_order_cannot_be_closed_and_a_closed_one_cannot_be_paid() {
    let peer = WeChatPayPeer::start(MCHID, APPID).await;
    let client = client(config(&peer.vars("https://photo.example/pay/notify")));

    let paid = order("GP2026062000000002");
    client.create_jsapi_order(&paid).await.expect("placed");
    peer.pay(&paid.out_trade_no).expect("paid");
    assert_eq!(
        rejected_code(client.close_order(&paid.out_trade_no).await),
        "ORDERPAID"
    );

    let abandoned = order("GP2026062000000003");
    client.create_jsapi_order(&abandoned).await.expect("placed");
    client
        .close_order(&abandoned.out_trade_no)
        .await
        .expect("closed");
    let closed = client
        .query_order(&abandoned.out_trade_no)
        .await
        .expect("found");
    assert_eq!(closed.trade_state, TradeState::Closed);
    assert!(peer.pay(&abandoned.out_trade_no).is_none());
    assert_eq!(
        rejected_code(client.create_jsapi_order(&abandoned).await),
        "ORDER_CLOSED"
    );
}

#[tokio::test]
async fn stale_and_altered_notifications_do_not_verify() {
    let peer = WeChatPayPeer::start(MCHID, APPID).await;
    let config = config(&peer.vars("https://photo.example/pay/notify"));
    let plaintext = json!({"out_trade_no": "GP2026062000000001", "trade_state": "SUCCESS"});
    let now = OffsetDateTime::now_utc();

    let stale = peer.mint_at(
        "TRANSACTION.SUCCESS",
        &plaintext,
        now.unix_timestamp() - 301,
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
    );
    assert!(matches!(
        config.platform.verify(&stale.signed().unwrap(), now),
        Err(VerifyError::StaleTimestamp { .. })
    ));

    let mut altered = peer.mint("TRANSACTION.SUCCESS", &plaintext);
    altered.body = altered.body.replacen("TRANSACTION", "TRANSACTlON", 1);
    assert_eq!(
        config.platform.verify(&altered.signed().unwrap(), now),
        Err(VerifyError::BadSignature)
    );
}

#[tokio::test]
async fn a_notification_is_delivered_as_wechat_posts_it() {
    use axum::http::HeaderMap;

    let peer = WeChatPayPeer::start(MCHID, APPID).await;
    let config = config(&peer.vars("https://photo.example/pay/notify"));
    let receiver_config = Arc::clone(&config);
    // A notify_url that answers as the service must: 200 only for a verified notification.
    let receiver = axum::Router::new().route(
        "/pay/notify",
        axum::routing::post(
            move |headers: HeaderMap, body: axum::body::Bytes| async move {
                let signed = wechat::pay::Signed::from_headers(
                    |name| headers.get(name).and_then(|v| v.to_str().ok()),
                    &body,
                );
                let verified = signed.and_then(|signed| {
                    receiver_config
                        .platform
                        .verify(&signed, OffsetDateTime::now_utc())
                });
                match verified {
                    Ok(()) => axum::http::StatusCode::OK,
                    Err(_) => axum::http::StatusCode::UNAUTHORIZED,
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/pay/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.ok() });

    let http = wechat::http_client(Duration::from_secs(5));
    let notification = peer.mint("TRANSACTION.SUCCESS", &json!({"trade_state": "SUCCESS"}));
    let response = notification.deliver(&http, &url).await.expect("delivered");
    assert_eq!(response.status(), 200);

    let mut forged = notification.clone();
    forged.body = forged.body.replace("SUCCESS", "SUCCESS ");
    let response = forged.deliver(&http, &url).await.expect("delivered");
    assert_eq!(response.status(), 401);
}
