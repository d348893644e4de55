//! Local stand-ins for the external services the functions call (WeChat login, pay and
//! subscribe messages, the identity provider). Each is a real HTTP server on 127.0.0.1 that
//! checks what it receives the way the real service would, and records every request so tests
//! can assert on them.

mod chsi;
mod identity;
mod wechat_login;
mod wechat_message;
mod wechat_pay;

pub use chsi::{BatchRequest, ChsiPeer};
pub use identity::{IdentityPeer, IdentityRequest};
pub use wechat_login::{LoginRequest, WeChatLoginPeer};
pub use wechat_message::{DeliveredMessage, WeChatMessagePeer};
pub use wechat_pay::{PayRequest, SignedNotification, WeChatPayPeer, mint_notification};

use std::sync::{Arc, Mutex};

/// Serves `router` on an OS-chosen port of 127.0.0.1 for as long as the runtime runs; returns
/// its base URL.
pub(crate) async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding 127.0.0.1:0");
    let address = listener.local_addr().expect("a bound address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.ok();
    });
    format!("http://{address}")
}

/// Requests a peer received, in order.
#[derive(Debug)]
pub struct Log<T>(Arc<Mutex<Vec<T>>>);

impl<T> Clone for Log<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Default for Log<T> {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Vec::new())))
    }
}

impl<T: Clone> Log<T> {
    pub(crate) fn push(&self, entry: T) {
        self.0.lock().expect("log lock").push(entry);
    }

    pub fn entries(&self) -> Vec<T> {
        self.0.lock().expect("log lock").clone()
    }
}
