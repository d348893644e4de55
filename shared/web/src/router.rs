//! A function's routes as one table, used both to dispatch and (in each function's contract
//! test) to check that `api/openapi.yaml` documents exactly these.

use lambda_http::http::{Method, StatusCode};

use crate::auth::Role;
use crate::error::ApiError;

#[derive(Debug)]
pub struct Route<A: 'static> {
    pub method: Method,
    /// OpenAPI-style template: `{name}` matches one path segment.
    pub path: &'static str,
    pub action: A,
    /// Who may call it; `None` for a route anyone may call (login).
    pub roles: Option<&'static [Role]>,
}

/// Builds a `pub static ROUTES` table: `METHOD "/path/{param}" => Action, roles;` per line.
#[macro_export]
macro_rules! routes {
    ($action:ty { $($method:ident $path:literal => $variant:ident, $roles:expr;)* }) => {
        pub static ROUTES: &[$crate::Route<$action>] = &[
            $($crate::Route {
                method: ::lambda_http::http::Method::$method,
                path: $path,
                action: <$action>::$variant,
                roles: $roles,
            },)*
        ];
    };
}

/// The route for `method` and `path`, with the values of its `{…}` segments in order.
pub fn find<'r, 'p, A>(
    routes: &'r [Route<A>],
    method: &Method,
    path: &'p str,
) -> Result<(&'r Route<A>, Vec<&'p str>), ApiError> {
    let path = path.trim_end_matches('/');
    let mut path_known = false;
    for route in routes {
        let Some(params) = matches(route.path, path) else {
            continue;
        };
        path_known = true;
        if route.method == method {
            return Ok((route, params));
        }
    }
    Err(if path_known {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "不支持此请求方法",
            "This method is not allowed here",
        )
    } else {
        ApiError::not_found("接口", "Route")
    })
}

fn matches<'p>(template: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let mut params = Vec::new();
    let mut segments = path.split('/');
    for expected in template.split('/') {
        let segment = segments.next()?;
        if expected.starts_with('{') {
            if segment.is_empty() {
                return None;
            }
            params.push(segment);
        } else if expected != segment {
            return None;
        }
    }
    segments.next().is_none().then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Action {
        List,
        Get,
    }

    const ANYONE: Option<&[Role]> = None;

    routes! { Action {
        GET "/v1/collections" => List, ANYONE;
        GET "/v1/collections/{collection_id}" => Get, ANYONE;
    }}

    #[test]
    fn templates_match_whole_segments() {
        let (route, params) = find(ROUTES, &Method::GET, "/v1/collections/01ABC").unwrap();
        assert_eq!(route.action, Action::Get);
        assert_eq!(params, ["01ABC"]);
        let (route, _) = find(ROUTES, &Method::GET, "/v1/collections/").unwrap();
        assert_eq!(route.action, Action::List);
        let status = |method: Method, path: &str| find(ROUTES, &method, path).unwrap_err().status;
        assert_eq!(status(Method::GET, "/v1/collections/a/b/c"), 404);
        assert_eq!(status(Method::DELETE, "/v1/collections"), 405);
        assert_eq!(status(Method::GET, "/v1/collectionsX"), 404);
    }
}
