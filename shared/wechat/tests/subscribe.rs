//! Subscribe messages (订阅消息) against the local WeChat peer: delivery, the shared access
//! token, and which failures are retried.

use std::time::Duration;

use localstack::peers::WeChatMessagePeer;
use serde_json::json;
use time::macros::datetime;
use wechat::message::{phrase, thing, time_value};
use wechat::{MessageClient, MessageConfig, MiniProgramState, Retry, SendError, SubscribeMessage};

const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
const TEMPLATE: &str = "bDmywsp2oEHjwAadTGKkUHpC0RgBVPvfAKhMgbW7nVs";

fn client(peer: &WeChatMessagePeer, attempts: u32) -> MessageClient {
    MessageClient::new(peer.config()).with_retry(Retry {
        attempts,
        first_delay: Duration::from_millis(10),
    })
}

fn message(touser: &str, data: &[(&str, &str)]) -> SubscribeMessage {
    SubscribeMessage {
        touser: touser.into(),
        template_id: TEMPLATE.into(),
        page: "pages/case/index?id=01JCASE".into(),
        data: data
            .iter()
            .map(|(keyword, value)| (keyword.to_string(), value.to_string()))
            .collect(),
        state: MiniProgramState::Formal,
    }
}

fn photo_approved() -> SubscribeMessage {
    message(
        OPENID,
        &[
            ("thing1", &thing("毕业证件照审核")),
            ("phrase2", &phrase("已通过")),
            ("time3", &time_value(datetime!(2026-11-21 06:30 UTC))),
        ],
    )
}

#[tokio::test]
async fn a_message_is_delivered_with_its_data_in_chinese() {
    let peer = WeChatMessagePeer::start().await;

    client(&peer, 3).send(&photo_approved()).await.unwrap();

    let delivered = peer.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].touser, OPENID);
    assert_eq!(delivered[0].template_id, TEMPLATE);
    assert_eq!(delivered[0].page, "pages/case/index?id=01JCASE");
    assert_eq!(delivered[0].miniprogram_state, "formal");
    assert_eq!(delivered[0].lang, "zh_CN");
    assert_eq!(
        delivered[0].data,
        json!({
            "thing1": {"value": "毕业证件照审核"},
            "phrase2": {"value": "已通过"},
            "time3": {"value": "2026-11-21 14:30"},
        })
    );
}

#[tokio::test]
async fn one_token_serves_many_sends_even_concurrent_ones() {
    let peer = WeChatMessagePeer::start().await;
    let client = client(&peer, 3);

    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let client = client.clone();
        sends.spawn(async move { client.send(&photo_approved()).await });
    }
    while let Some(sent) = sends.join_next().await {
        sent.unwrap().unwrap();
    }
    client.send(&photo_approved()).await.unwrap();

    assert_eq!(peer.delivered().len(), 9);
    assert_eq!(peer.tokens_issued(), 1);
}

#[tokio::test]
async fn an_expired_token_is_fetched_again_and_the_send_repeated_once() {
    let peer = WeChatMessagePeer::start().await;
    let client = client(&peer, 1);
    client.send(&photo_approved()).await.unwrap();

    peer.expire_tokens();
    client.send(&photo_approved()).await.unwrap();

    assert_eq!(peer.delivered().len(), 2);
    assert_eq!(peer.tokens_issued(), 2);
    // The first send, the one with the expired token, and its repeat.
    assert_eq!(peer.attempts(), 3);
}

#[tokio::test]
async fn a_user_who_did_not_subscribe_is_asked_once() {
    let peer = WeChatMessagePeer::start().await;
    peer.refuse(OPENID);

    let error = client(&peer, 3).send(&photo_approved()).await.unwrap_err();

    assert!(matches!(error, SendError::NotSubscribed), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(peer.attempts(), 1);
    assert!(peer.delivered().is_empty());
}

#[tokio::test]
async fn two_outages_then_delivery_within_three_attempts() {
    let peer = WeChatMessagePeer::start().await;
    peer.fail_next(2);

    client(&peer, 3).send(&photo_approved()).await.unwrap();

    assert_eq!(peer.attempts(), 3);
    assert_eq!(peer.delivered().len(), 1);
}

#[tokio::test]
async fn an_outage_on_every_attempt_is_unavailable_after_the_last() {
    let peer = WeChatMessagePeer::start().await;
    peer.fail_next(100);

    let error = client(&peer, 4).send(&photo_approved()).await.unwrap_err();

    assert!(matches!(error, SendError::Unavailable(_)), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(peer.attempts(), 4);
}

#[tokio::test]
async fn a_busy_wechat_is_asked_again() {
    let peer = WeChatMessagePeer::start().await;
    peer.busy_next(1);

    client(&peer, 3).send(&photo_approved()).await.unwrap();

    assert_eq!(peer.attempts(), 2);
    assert_eq!(peer.delivered().len(), 1);
}

#[tokio::test]
async fn a_too_long_thing_is_refused_and_not_retried() {
    let peer = WeChatMessagePeer::start().await;
    let raw = "北京大学光华管理学院工商管理专业二〇二六届毕业生";

    let error = client(&peer, 3)
        .send(&message(OPENID, &[("thing1", raw)]))
        .await
        .unwrap_err();

    assert!(
        matches!(error, SendError::Refused { code: 47003, .. }),
        "{error:?}"
    );
    assert_eq!(peer.attempts(), 1);
}

#[tokio::test]
async fn a_wrong_secret_gets_no_token_and_sends_nothing() {
    let peer = WeChatMessagePeer::start().await;
    let config = MessageConfig {
        secret: "not-the-secret".into(),
        ..peer.config()
    };

    let error = MessageClient::new(config)
        .with_retry(Retry {
            attempts: 2,
            first_delay: Duration::from_millis(10),
        })
        .send(&photo_approved())
        .await
        .unwrap_err();

    assert!(matches!(error, SendError::Unavailable(_)), "{error:?}");
    assert_eq!(peer.tokens_issued(), 0);
    assert_eq!(peer.attempts(), 0);
}

#[test]
fn thing_and_phrase_count_characters_not_bytes() {
    let long = "北京大学光华管理学院工商管理专业二〇二六届毕业生";
    assert_eq!(thing(long), "北京大学光华管理学院工商管理专业二〇二…");
    assert_eq!(thing(long).chars().count(), 20);
    // Exactly 20 characters (60 bytes) fit.
    assert_eq!(thing(&long[..60]), &long[..60]);
    assert_eq!(phrase("待拍摄"), "待拍摄");
    assert_eq!(phrase("已通过审核啦"), "已通过审…");
}

#[tokio::test]
async fn a_cut_thing_is_accepted() {
    let peer = WeChatMessagePeer::start().await;
    let value = thing("北京大学光华管理学院工商管理专业二〇二六届毕业生");

    client(&peer, 3)
        .send(&message(OPENID, &[("thing1", &value)]))
        .await
        .unwrap();

    assert_eq!(peer.delivered()[0].data["thing1"]["value"], value.as_str());
}

#[test]
fn time_values_are_china_time_to_the_minute() {
    assert_eq!(
        time_value(datetime!(2026-11-21 06:30:59 UTC)),
        "2026-11-21 14:30"
    );
    assert_eq!(
        time_value(datetime!(2026-12-31 20:05 UTC)),
        "2027-01-01 04:05"
    );
}

#[test]
fn debug_output_hides_the_secret() {
    let config = MessageConfig {
        base_url: "https://api.weixin.qq.com".into(),
        appid: "wx1234567890abcdef".into(),
        secret: "0123456789abcdef0123456789abcdef".into(),
    };
    let client = MessageClient::new(config.clone());
    assert!(!format!("{config:?}").contains(&config.secret));
    assert!(!format!("{client:?}").contains(&config.secret));
}
