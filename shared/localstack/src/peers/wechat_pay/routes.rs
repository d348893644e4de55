//! The HTTP routes: each request is checked, logged and sent to the API it names.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use percent_encoding::percent_decode_str;

use super::reply::{Reply, json_body, refuse};
use super::state::{PayRequest, Peer};

pub(super) async fn handle(
    State(peer): State<Arc<Peer>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path_and_query = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let authorized = peer.authorize(&method, path_and_query, &headers, &body);
    peer.log.push(PayRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        authorized: authorized.is_ok(),
    });
    let reply = match authorized {
        Err(reason) => refuse(StatusCode::UNAUTHORIZED, "SIGN_ERROR", reason),
        Ok(()) => peer
            .route(&method, uri.path(), uri.query().unwrap_or_default(), &body)
            .unwrap_or_else(|refusal| refusal),
    };
    peer.respond(reply)
}

impl Peer {
    fn route(&self, method: &Method, path: &str, query: &str, body: &[u8]) -> Result<Reply, Reply> {
        let segments: Vec<String> = path.split('/').skip(1).map(percent_decode).collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let mchid = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("mchid="))
            .unwrap_or_default();
        match (method.as_str(), segments.as_slice()) {
            ("POST", ["v3", "pay", "transactions", "jsapi"]) => {
                self.create_order(&json_body(body)?)
            }
            ("GET", ["v3", "pay", "transactions", "out-trade-no", out_trade_no]) => {
                self.query_order(out_trade_no, mchid)
            }
            (
                "POST",
                [
                    "v3",
                    "pay",
                    "transactions",
                    "out-trade-no",
                    out_trade_no,
                    "close",
                ],
            ) => self.close_order(out_trade_no, &json_body(body)?),
            ("POST", ["v3", "refund", "domestic", "refunds"]) => self.refund(&json_body(body)?),
            ("GET", ["v3", "refund", "domestic", "refunds", out_refund_no]) => {
                self.query_refund(out_refund_no)
            }
            _ => Err(refuse(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("{method} {path} is not an API this peer serves"),
            )),
        }
    }
}

/// A path segment as sent, `%XX` escapes decoded (the client escapes order numbers).
fn percent_decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}
