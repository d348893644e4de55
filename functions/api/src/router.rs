//! The routes of the API: one table, used both to dispatch and (in a test) to check that
//! `api/openapi.yaml` documents exactly these.

use lambda_http::http::{Method, StatusCode};

use crate::auth::Role;
use crate::error::ApiError;

/// What a route does; the handler module matches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    Me,
    VerifyIdentity,
    NewPortrait,
    LinkByRoster,
    LinkByChsiCode,
    LinkBySessionCode,
    ListCollections,
    GetCollection,
    CollectionEvents,
    StartAttempt,
    Submit,
    Pay,
    RequestRefund,
    PaymentAnomalies,
    ListTasks,
    CreateTask,
    GetTask,
    ImportRoster,
    Progress,
}

#[derive(Debug)]
pub struct Route {
    pub method: Method,
    /// OpenAPI-style template: `{name}` matches one path segment.
    pub path: &'static str,
    pub action: Action,
    /// Who may call it; `None` for the login route only.
    pub roles: Option<&'static [Role]>,
}

const STUDENT: Option<&[Role]> = Some(&[Role::Student]);
const OPERATOR: Option<&[Role]> = Some(&[Role::Operator]);
const STUDENT_OR_OPERATOR: Option<&[Role]> = Some(&[Role::Student, Role::Operator]);

macro_rules! routes {
    ($($method:ident $path:literal => $action:ident, $roles:expr;)*) => {
        pub static ROUTES: &[Route] = &[
            $(Route { method: Method::$method, path: $path, action: Action::$action, roles: $roles },)*
        ];
    };
}

routes! {
    POST "/v1/auth/wechat" => Login, None;
    GET "/v1/me" => Me, STUDENT;
    POST "/v1/identity" => VerifyIdentity, STUDENT;
    POST "/v1/identity/portrait" => NewPortrait, STUDENT;
    POST "/v1/links/roster" => LinkByRoster, STUDENT;
    POST "/v1/links/chsi-code" => LinkByChsiCode, STUDENT;
    POST "/v1/links/session-code" => LinkBySessionCode, STUDENT;
    GET "/v1/collections" => ListCollections, STUDENT;
    GET "/v1/collections/{collection_id}" => GetCollection, STUDENT_OR_OPERATOR;
    GET "/v1/collections/{collection_id}/events" => CollectionEvents, OPERATOR;
    POST "/v1/collections/{collection_id}/attempts" => StartAttempt, STUDENT;
    POST "/v1/collections/{collection_id}/submit" => Submit, STUDENT;
    POST "/v1/collections/{collection_id}/payment" => Pay, STUDENT;
    POST "/v1/collections/{collection_id}/refund" => RequestRefund, STUDENT_OR_OPERATOR;
    GET "/v1/payments/anomalies" => PaymentAnomalies, OPERATOR;
    GET "/v1/tasks" => ListTasks, OPERATOR;
    POST "/v1/tasks" => CreateTask, OPERATOR;
    GET "/v1/tasks/{task_id}" => GetTask, OPERATOR;
    PUT "/v1/tasks/{task_id}/roster" => ImportRoster, OPERATOR;
    GET "/v1/tasks/{task_id}/progress" => Progress, OPERATOR;
}

/// The route for `method` and `path`, with the values of its `{…}` segments in order.
pub fn find<'p>(
    method: &Method,
    path: &'p str,
) -> Result<(&'static Route, Vec<&'p str>), ApiError> {
    let path = path.trim_end_matches('/');
    let mut path_known = false;
    for route in ROUTES {
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

    #[test]
    fn templates_match_whole_segments() {
        let (route, params) = find(&Method::GET, "/v1/collections/01ABC").unwrap();
        assert_eq!(route.action, Action::GetCollection);
        assert_eq!(params, ["01ABC"]);
        let (route, _) = find(&Method::GET, "/v1/collections/").unwrap();
        assert_eq!(route.action, Action::ListCollections);
        assert_eq!(
            find(&Method::GET, "/v1/collections/a/b/c")
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(
            find(&Method::DELETE, "/v1/collections").unwrap_err().status,
            405
        );
        assert_eq!(
            find(&Method::GET, "/v1/collectionsX").unwrap_err().status,
            404
        );
    }
}
