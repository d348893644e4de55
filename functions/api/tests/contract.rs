//! The router, the OpenAPI document and the SAM template list the same routes: a route added
//! to one and forgotten in another fails here, not in production.

use std::collections::BTreeSet;

use localstack::workspace_root;
use serde_json::Value;

type Routes = BTreeSet<(String, String)>;

fn router() -> Routes {
    api::router::ROUTES
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect()
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
    assert_eq!(documented, router());
}

#[test]
fn every_documented_operation_is_named_and_documents_its_errors() {
    let doc = openapi();
    let mut ids = BTreeSet::new();
    for route in api::router::ROUTES {
        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{} {}", route.method, route.path));
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{id} has no success response"
        );
        // Every route but login needs a token, so every one documents 401; login opts out of
        // the global bearer requirement.
        if route.roles.is_some() {
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

#[test]
fn the_template_routes_exactly_the_router_s_paths_to_the_api_function() {
    let template = localstack::template();
    let events = template["Resources"]["ApiFunction"]["Properties"]["Events"]
        .as_object()
        .expect("ApiFunction has events");
    let routed: Routes = events
        .values()
        .filter(|e| e["Type"] == "HttpApi")
        .map(|e| {
            let p = &e["Properties"];
            (
                p["Method"].as_str().unwrap().to_uppercase(),
                p["Path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(routed, router());
}
