mod common;

use std::time::Duration;

use chsi::{Archive, ChsiGateway, GatewayError, HttpGateway};
use localstack::peers::ChsiPeer;

const TOKEN: &str = "agency-token";

fn gateway(peer: &ChsiPeer, token: &str) -> HttpGateway {
    HttpGateway::new(peer.base_url.clone(), token.into(), Duration::from_secs(10))
}

#[tokio::test]
async fn a_delivered_batch_comes_back_with_the_receivers_receipt() {
    let peer = ChsiPeer::start(TOKEN).await;
    let archive = Archive::build(&common::batch("B1")).unwrap();

    let receipt = gateway(&peer, TOKEN).deliver(&archive).await.unwrap();

    assert_eq!(receipt.reference, "CHSI-1");
    assert_eq!(peer.received(), [("B1".to_owned(), archive.bytes.clone())]);
    let request = &peer.requests()[0];
    assert!(request.authorized);
    assert_eq!(request.idempotency_key.as_deref(), Some("B1"));
}

#[tokio::test]
async fn an_overloaded_receiver_is_unavailable_and_the_retry_succeeds() {
    let peer = ChsiPeer::start(TOKEN).await;
    let gateway = gateway(&peer, TOKEN);
    let archive = Archive::build(&common::batch("B1")).unwrap();
    peer.fail_next(1);

    let first = gateway.deliver(&archive).await;
    let retry = gateway.deliver(&archive).await;

    assert!(
        matches!(first, Err(GatewayError::Unavailable(_))),
        "{first:?}"
    );
    assert_eq!(retry.unwrap().reference, "CHSI-1");
    assert_eq!(peer.attempts(), 2);
    assert_eq!(peer.received().len(), 1);
}

#[tokio::test]
async fn a_wrong_token_is_refused_for_an_operator() {
    let peer = ChsiPeer::start(TOKEN).await;
    let archive = Archive::build(&common::batch("B1")).unwrap();

    let error = gateway(&peer, "stale-token")
        .deliver(&archive)
        .await
        .unwrap_err();

    assert!(
        matches!(&error, GatewayError::Refused(m) if m.contains("401")),
        "{error}"
    );
    assert!(!error.to_string().contains("stale-token"));
    assert!(peer.received().is_empty());
}

#[tokio::test]
async fn delivering_a_batch_again_gets_the_first_receipt() {
    let peer = ChsiPeer::start(TOKEN).await;
    let gateway = gateway(&peer, TOKEN);
    let archive = Archive::build(&common::batch("B1")).unwrap();

    let first = gateway.deliver(&archive).await.unwrap();
    let again = gateway.deliver(&archive).await.unwrap();

    assert_eq!(again, first);
    assert_eq!(peer.requests()[1].status, 409);
    assert_eq!(peer.received().len(), 1);
}

#[tokio::test]
async fn a_batch_id_reused_for_another_archive_is_refused() {
    let peer = ChsiPeer::start(TOKEN).await;
    let gateway = gateway(&peer, TOKEN);
    let archive = Archive::build(&common::batch("B1")).unwrap();
    let mut other = common::batch("B1");
    other.entries.pop();
    let other = Archive::build(&other).unwrap();

    gateway.deliver(&archive).await.unwrap();
    let error = gateway.deliver(&other).await.unwrap_err();

    assert!(
        matches!(&error, GatewayError::Refused(m) if m.contains("409")),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_receiver_is_unavailable() {
    // Port 9 (discard) on loopback: nothing listens there in a test environment.
    let gateway = HttpGateway::new(
        "http://127.0.0.1:9".into(),
        TOKEN.into(),
        Duration::from_secs(5),
    );
    let archive = Archive::build(&common::batch("B1")).unwrap();

    let error = gateway.deliver(&archive).await.unwrap_err();

    assert!(matches!(error, GatewayError::Unavailable(_)), "{error}");
}
