//! The reviewers' console (`console/` in the repository), served from its private bucket under
//! `/console/` on the same HTTP API as the review routes, so the page and the API share one
//! origin: no CORS, and the token never leaves it.

use lambda_http::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};

/// Where the console is served: `GET /console` is redirected to its page,
/// `/console/index.html`, whose links are relative.
pub const PREFIX: &str = "/console";
const INDEX: &str = "index.html";
/// Its routes in `infra/template.yaml` (all `GET`).
pub const PATHS: [&str; 2] = ["/console", "/console/{proxy+}"];

/// Whether `path` is the console's (`/console` or below it).
pub fn is_console_path(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The console's files by extension; nothing else in the bucket is served.
fn content_type(key: &str) -> Option<&'static str> {
    Some(match key.rsplit_once('.')?.1 {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => return None,
    })
}

/// The page is asked for afresh each time, so a deployment shows at once; its scripts and
/// styles are kept for five minutes, so a reviewer's every reload does not fetch them again
/// (after a deployment the old ones may serve for those five minutes).
fn cache_control(key: &str) -> &'static str {
    if key.ends_with(".html") {
        "no-cache"
    } else {
        "max-age=300"
    }
}

/// Where the page may load from: itself, and the photo buckets' presigned links (S3's own
/// host in the cloud, the local endpoint on the local stack); and where it may send to:
/// itself, and S3's presigned uploads (a retoucher's corrected photo).
fn content_security_policy(s3_origin: Option<&str>) -> String {
    let s3 = s3_origin.unwrap_or("https://*.amazonaws.com https://*.amazonaws.com.cn");
    format!(
        "default-src 'self'; img-src 'self' {s3}; connect-src 'self' {s3}; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// The console's bucket and what its pages are allowed to load.
pub struct Console {
    client: aws_sdk_s3::Client,
    bucket: String,
    policy: HeaderValue,
}

impl Console {
    /// `s3_origin`: where presigned photo links point when it is not AWS (a local endpoint).
    pub fn new(client: aws_sdk_s3::Client, bucket: String, s3_origin: Option<&str>) -> Self {
        let policy = HeaderValue::from_str(&content_security_policy(s3_origin))
            .expect("the policy is ASCII");
        Self {
            client,
            bucket,
            policy,
        }
    }

    /// The file at `path` (under [`PREFIX`]), or a plain 404.
    pub async fn serve(&self, path: &str) -> Response<Body> {
        let Some(rest) = path.strip_prefix(PREFIX).filter(|_| is_console_path(path)) else {
            return plain(StatusCode::NOT_FOUND, "not found");
        };
        let key = rest.trim_start_matches('/');
        if key.is_empty() {
            return Response::builder()
                .status(StatusCode::FOUND)
                .header(LOCATION, format!("{PREFIX}/{INDEX}"))
                .body(Body::Empty)
                .expect("a redirect builds");
        }
        // Keys are the repository's file names: no `..`, no hidden files.
        let safe = key
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.'));
        let Some(kind) = content_type(key).filter(|_| safe) else {
            return plain(StatusCode::NOT_FOUND, "not found");
        };
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(object) => object,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return plain(StatusCode::NOT_FOUND, "not found");
            }
            Err(e) => {
                tracing::error!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), key, "console file unreadable");
                return plain(StatusCode::BAD_GATEWAY, "console unavailable");
            }
        };
        let bytes = match object.body.collect().await {
            Ok(data) => data.into_bytes(),
            Err(e) => {
                tracing::error!(error = %e, key, "console file unreadable");
                return plain(StatusCode::BAD_GATEWAY, "console unavailable");
            }
        };
        Response::builder()
            .status(StatusCode::OK)
            .header(CONTENT_TYPE, kind)
            .header(CACHE_CONTROL, cache_control(key))
            .header("content-security-policy", self.policy.clone())
            .header("x-content-type-options", "nosniff")
            .header("referrer-policy", "no-referrer")
            .body(Body::Binary(bytes.to_vec()))
            .expect("a response from a file builds")
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::Text(text.into()))
        .expect("a plain response builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_consoles_kinds_of_file_are_served() {
        assert_eq!(content_type("index.html"), Some("text/html; charset=utf-8"));
        assert_eq!(
            content_type("app.js"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(content_type("secrets.env"), None);
        assert_eq!(content_type("README"), None);
    }

    #[test]
    fn the_page_is_always_fresh_and_its_scripts_are_kept_a_while() {
        assert_eq!(cache_control("index.html"), "no-cache");
        assert_eq!(cache_control("review.js"), "max-age=300");
    }

    #[test]
    fn the_page_loads_images_from_and_uploads_to_only_itself_and_the_photo_store() {
        let local = content_security_policy(Some("http://127.0.0.1:4566"));
        assert!(local.contains("img-src 'self' http://127.0.0.1:4566;"));
        assert!(local.contains("connect-src 'self' http://127.0.0.1:4566;"));
        assert!(local.starts_with("default-src 'self';"));
        let cloud = content_security_policy(None);
        assert!(cloud.contains("https://*.amazonaws.com.cn"));
    }
}
