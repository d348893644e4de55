//! The router, the OpenAPI document and the SAM template list the same routes: a route added
//! to one and forgotten in another fails here, not in production.

use std::collections::BTreeSet;

use localstack::workspace_root;
use serde_json::Value;

type Routes = BTreeSet<(String, String)>;

fn routes_of<A>(routes: &[web::Route<A>]) -> Routes {
    routes
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect()
}

/// The students' API's routes.
fn router() -> Routes {
    routes_of(api::router::ROUTES)
}

/// Every HTTP route of the service: the API's and the review function's share one document.
fn all_routes() -> Routes {
    let mut all = router();
    all.extend(routes_of(review::ROUTES));
    all
}

/// The operations of both route tables: method, path, and whether a token is required.
fn operations() -> Vec<(String, &'static str, bool)> {
    let api = api::router::ROUTES
        .iter()
        .map(|r| (r.method.as_str().to_lowercase(), r.path, r.roles.is_some()));
    let review = review::ROUTES
        .iter()
        .map(|r| (r.method.as_str().to_lowercase(), r.path, r.roles.is_some()));
    api.chain(review).collect()
}

fn openapi() -> Value {
    localstack::yaml(&workspace_root().join("api/openapi.yaml"))
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[test]
fn the_openapi_document_lists_exactly_the_routes_of_the_router() {
    let doc = openapi();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut documented = Routes::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert_eq!(documented, all_routes());
}

#[test]
fn every_documented_operation_is_named_and_documents_its_errors() {
    let doc = openapi();
    let mut ids = BTreeSet::new();
    for (method, path, needs_token) in operations() {
        let op = &doc["paths"][path][&method];
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}"));
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{id} has no success response"
        );
        // Every route but login needs a token, so every one documents 401; login opts out of
        // the global bearer requirement.
        if needs_token {
            assert!(responses.contains_key("401"), "{id} does not document 401");
            assert!(responses.contains_key("403"), "{id} does not document 403");
        } else {
            assert_eq!(
                op["security"],
                Value::Array(vec![]),
                "{id} must not require a token"
            );
        }
        // Routes that read a body document what a bad one gets.
        if op.get("requestBody").is_some() {
            assert!(
                responses.contains_key("400") || responses.contains_key("422"),
                "{id}"
            );
        }
    }
}

/// The HTTP routes the template gives `function`.
fn routed_to(function: &str) -> Routes {
    localstack::gateway::template_routes(&localstack::template())
        .into_iter()
        .filter(|r| r.function == function)
        .map(|r| (r.method, r.path))
        .collect()
}

#[test]
fn the_template_routes_exactly_the_router_s_paths_to_the_api_function() {
    assert_eq!(routed_to("ApiFunction"), router());
}

#[test]
fn the_template_routes_exactly_the_review_paths_to_the_review_function() {
    let mut expected = routes_of(review::ROUTES);
    // And the console's page and files, which are not API routes (no OpenAPI entry).
    expected.extend(
        review::console::PATHS
            .iter()
            .map(|path| ("GET".to_owned(), (*path).to_owned())),
    );
    assert_eq!(routed_to("ReviewFunction"), expected);
}
