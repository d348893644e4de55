//! The HTTP API as it runs locally: one origin in front of the functions served by
//! `cargo lambda watch`, routing each request by the routes `infra/template.yaml` gives each
//! function, as API Gateway does in the cloud. The console needs this: its page and every API
//! call share one origin, there as here.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::Error;

/// One route of the template: `GET /v1/review/cases/{collection_id}` to `ReviewFunction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub function: String,
}

/// Every `HttpApi` event of every function in `template` (`localstack::template()`).
pub fn template_routes(template: &Value) -> Vec<Route> {
    let mut routes = Vec::new();
    let resources = template["Resources"].as_object().into_iter().flatten();
    for (function, resource) in resources {
        let events = resource["Properties"]["Events"]
            .as_object()
            .into_iter()
            .flatten();
        for event in events.map(|(_, e)| e).filter(|e| e["Type"] == "HttpApi") {
            let properties = &event["Properties"];
            if let (Some(method), Some(path)) =
                (properties["Method"].as_str(), properties["Path"].as_str())
            {
                routes.push(Route {
                    method: method.to_ascii_uppercase(),
                    path: path.to_owned(),
                    function: function.clone(),
                });
            }
        }
    }
    routes
}

/// How well `template` matches `path`: `None` when it does not; else more literal segments
/// rank first and a greedy `{name+}` last, as API Gateway picks the most specific route.
fn specificity(template: &str, path: &str) -> Option<(usize, bool)> {
    let mut literal = 0;
    let mut segments = path.trim_start_matches('/').split('/');
    for expected in template.trim_start_matches('/').split('/') {
        if expected.starts_with('{') && expected.ends_with("+}") {
            let rest: Vec<&str> = segments.by_ref().collect();
            return (!rest.is_empty() && rest.iter().any(|s| !s.is_empty()))
                .then_some((literal, false));
        }
        let segment = segments.next()?;
        if expected.starts_with('{') {
            if segment.is_empty() {
                return None;
            }
        } else if expected == segment {
            literal += 1;
        } else {
            return None;
        }
    }
    segments.next().is_none().then_some((literal, true))
}

/// The route for `method path`, if the template has one.
pub fn route<'r>(routes: &'r [Route], method: &str, path: &str) -> Option<&'r Route> {
    routes
        .iter()
        .filter(|r| r.method == method || r.method == "ANY")
        .filter_map(|r| Some((specificity(&r.path, path)?, r)))
        .max_by_key(|(rank, _)| *rank)
        .map(|(_, r)| r)
}

#[derive(Clone)]
struct Gateway {
    routes: Vec<Route>,
    /// Function (template resource) → where it is served locally.
    upstreams: HashMap<String, String>,
    http: reqwest::Client,
}

/// A running local HTTP API; serves until the runtime ends.
pub struct LocalHttpApi {
    pub base_url: String,
}

impl LocalHttpApi {
    /// Serves the template's routes of each function in `upstreams` (resource name → base
    /// URL of its `cargo lambda watch`). Routes of other functions answer 404.
    pub async fn start(upstreams: &[(&str, &str)]) -> Result<Self, Error> {
        let template = crate::template();
        let upstreams: HashMap<String, String> = upstreams
            .iter()
            .map(|(f, url)| (f.to_string(), url.to_string()))
            .collect();
        let gateway = Gateway {
            routes: template_routes(&template),
            upstreams,
            // A proxy hands redirects to the browser; it never follows them itself.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        };
        let router = axum::Router::new()
            .fallback(forward)
            .layer(axum::extract::DefaultBodyLimit::max(10 * 1024 * 1024))
            .with_state(gateway);
        Ok(Self {
            base_url: crate::peers::serve(router).await,
        })
    }
}

/// How `cargo lambda watch`'s emulator answers a failure of its own: a problem document with
/// this type, never an answer of our functions (theirs carry a `code`). Seen rarely on a busy
/// machine, with nothing in the function's log: the emulator lost the request between its
/// queue and the function. API Gateway has no such failure, so the local one sends the request
/// again, and says so on its standard error.
const EMULATOR_FAILURE: &str = "https://httpstatuses.com/500";
const EMULATOR_RETRIES: usize = 2;

/// Hop-by-hop headers, which a proxy does not pass on.
const HOP: [&str; 5] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "host",
];

async fn forward(State(gateway): State<Gateway>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let upstream = route(&gateway.routes, parts.method.as_str(), path)
        .and_then(|r| gateway.upstreams.get(&r.function));
    let Some(upstream) = upstream else {
        // API Gateway's own answer for a path it has no route for.
        return (StatusCode::NOT_FOUND, r#"{"message":"Not Found"}"#).into_response();
    };
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let url = format!("{upstream}{path}{query}");
    for attempt in 1.. {
        let mut outgoing = gateway.http.request(parts.method.clone(), &url);
        for (name, value) in passed_on(&parts.headers) {
            outgoing = outgoing.header(name, value);
        }
        let Ok(answer) = outgoing.body(body.clone()).send().await else {
            return (StatusCode::BAD_GATEWAY, r#"{"message":"Bad Gateway"}"#).into_response();
        };
        let status = answer.status();
        let headers: Vec<(HeaderName, _)> = passed_on(answer.headers())
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        let bytes = answer.bytes().await.unwrap_or_else(|_| Bytes::new());
        if status == StatusCode::INTERNAL_SERVER_ERROR
            && bytes
                .windows(EMULATOR_FAILURE.len())
                .any(|w| w == EMULATOR_FAILURE.as_bytes())
            && attempt <= EMULATOR_RETRIES
        {
            eprintln!(
                "local gateway: the emulator lost {} {path}; sent again",
                parts.method
            );
            continue;
        }
        let mut response = Response::new(Body::from(bytes));
        *response.status_mut() = status;
        for (name, value) in headers {
            response.headers_mut().append(name, value);
        }
        return response;
    }
    unreachable!("the loop returns")
}

fn passed_on(headers: &HeaderMap) -> impl Iterator<Item = (&HeaderName, &axum::http::HeaderValue)> {
    headers
        .iter()
        .filter(|(name, _)| !HOP.contains(&name.as_str()) && *name != "content-length")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: &str, path: &str, function: &str) -> Route {
        Route {
            method: method.into(),
            path: path.into(),
            function: function.into(),
        }
    }

    #[test]
    fn the_most_specific_route_wins_and_greedy_paths_come_last() {
        let routes = [
            r("GET", "/v1/collections/{collection_id}", "Api"),
            r("GET", "/v1/collections/{collection_id}/events", "Api"),
            r("GET", "/v1/review/cases/{collection_id}", "Review"),
            r("GET", "/console/{proxy+}", "Review"),
            r("GET", "/console", "Review"),
        ];
        let to = |method: &str, path: &str| route(&routes, method, path).map(|r| r.path.as_str());
        assert_eq!(
            to("GET", "/v1/collections/01J"),
            Some("/v1/collections/{collection_id}")
        );
        assert_eq!(
            to("GET", "/v1/collections/01J/events"),
            Some("/v1/collections/{collection_id}/events")
        );
        assert_eq!(to("GET", "/console"), Some("/console"));
        assert_eq!(to("GET", "/console/"), None);
        assert_eq!(to("GET", "/console/app.js"), Some("/console/{proxy+}"));
        assert_eq!(to("GET", "/console/a/b.css"), Some("/console/{proxy+}"));
        assert_eq!(to("POST", "/console/app.js"), None);
        assert_eq!(to("GET", "/v1/collections"), None);
        assert_eq!(to("GET", "/v1/collections/01J/events/x"), None);
    }

    /// An upstream that fails as the emulator does for its first `lost` requests, then answers
    /// with our functions' own 500.
    async fn flaky_upstream(lost: usize) -> String {
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let router = axum::Router::new().fallback(move || {
            let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                if n < lost {
                    let lost = r#"{"type":"https://httpstatuses.com/500","status":500,"title":"Internal Server Error"}"#;
                    (StatusCode::INTERNAL_SERVER_ERROR, lost)
                } else {
                    (StatusCode::INTERNAL_SERVER_ERROR, r#"{"code":"internal","n":"#)
                }
            }
        });
        crate::peers::serve(router).await
    }

    #[tokio::test]
    async fn a_request_the_emulator_lost_is_sent_again_and_a_function_s_own_failure_is_not() {
        let http = crate::http_client();
        // Two losses are sent again and the function's own 500 passes; a third loss in a row
        // is passed on, as the emulator's.
        for (lost, answered) in [(2, "internal"), (3, "httpstatuses")] {
            let upstream = flaky_upstream(lost).await;
            let gateway = LocalHttpApi::start(&[("ReviewFunction", &upstream)])
                .await
                .unwrap();
            let answer = http
                .get(format!("{}/v1/review/reasons", gateway.base_url))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 500);
            let body = answer.text().await.unwrap();
            assert!(body.contains(answered), "{lost} lost: {body}");
        }
    }
}
