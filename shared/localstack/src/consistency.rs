//! What must hold of a stack's table after any run, however it was loaded or faulted: each
//! case's audit trail has exactly one event per version; a paid case has exactly its one paid
//! order, an unpaid one none (a second payment is kept as an anomaly, never lost); no attempt
//! is left processing with nothing to finish it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// What a check found.
#[derive(Debug, Default)]
pub struct Consistency {
    pub cases: usize,
    pub paid_cases: usize,
    pub events: usize,
    /// Each broken rule, with the case it concerns.
    pub problems: Vec<String>,
}

impl Consistency {
    pub fn holds(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads every item of `table` (directly, not through any fault) and checks the rules.
pub async fn check(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> Consistency {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = dynamodb
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("the table can be scanned");
        for item in page.items() {
            items.push(serde_dynamo::from_item::<_, Value>(item.clone()).expect("an item reads"));
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    let text = |v: &Value, field: &str| v[field].as_str().unwrap_or_default().to_owned();
    let entity = |v: &Value| text(v, "entity");
    let mut report = Consistency::default();
    let mut versions: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let mut paid_orders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let anomalies: BTreeSet<String> = items
        .iter()
        .filter(|i| entity(i) == "payment_anomaly")
        .map(|i| text(i, "reference"))
        .collect();
    let markers: BTreeSet<String> = items
        .iter()
        .filter(|i| entity(i) == "processing")
        .map(|i| text(i, "attempt_id"))
        .collect();
    for item in &items {
        match entity(item).as_str() {
            "event" => {
                report.events += 1;
                let version = item["version"].as_u64().unwrap_or_default();
                versions
                    .entry(text(item, "collection_id"))
                    .or_default()
                    .insert(version);
            }
            "order" if matches!(item["status"].as_str(), Some("paid" | "refunded")) => {
                paid_orders
                    .entry(text(item, "collection_id"))
                    .or_default()
                    .push(text(item, "order_no"));
            }
            _ => {}
        }
    }
    for case in items.iter().filter(|i| entity(i) == "collection") {
        report.cases += 1;
        let id = text(case, "id");
        let version = case["version"].as_u64().unwrap_or_default();
        let expected: BTreeSet<u64> = (1..=version).collect();
        let seen = versions.remove(&id).unwrap_or_default();
        if seen != expected {
            report
                .problems
                .push(format!("case {id}: events {seen:?} for version {version}"));
        }
        let paid = paid_orders.remove(&id).unwrap_or_default();
        let refunded: BTreeSet<&str> = case["refunded_orders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match case["payment"]["order_no"].as_str() {
            Some(order) => {
                report.paid_cases += 1;
                if !paid.iter().any(|o| o == order) {
                    report
                        .problems
                        .push(format!("case {id}: its payment {order} has no paid order"));
                }
            }
            None if paid.iter().any(|o| !refunded.contains(o.as_str())) => {
                report
                    .problems
                    .push(format!("case {id}: unpaid, with paid orders {paid:?}"));
            }
            None => {}
        }
        let payment = case["payment"]["order_no"].as_str().unwrap_or_default();
        for extra in paid
            .iter()
            .filter(|o| *o != payment && !refunded.contains(o.as_str()))
        {
            if !anomalies.contains(extra) {
                report.problems.push(format!(
                    "case {id}: a second paid order {extra} with no anomaly kept for it"
                ));
            }
        }
        for attempt in case["attempts"].as_array().into_iter().flatten() {
            let attempt_id = text(attempt, "id");
            if attempt["status"] == "processing" && !markers.contains(&attempt_id) {
                report.problems.push(format!(
                    "case {id}: attempt {attempt_id} processing with no marker to sweep it"
                ));
            }
        }
    }
    for (id, seen) in versions {
        report
            .problems
            .push(format!("events {seen:?} of no case {id}"));
    }
    report
}
