//! The template's permissions against the keys the code writes and reads: moto does not enforce
//! IAM, so a key the store names under a prefix no policy grants would pass every local test
//! and fail in the cloud. The keys come from the store's own functions.

use domain::{AttemptId, CollectionId, PortraitId};
use serde_json::Value;
use store::{Checked, Digest, PortraitChecked};

/// The object patterns `function`'s policies allow `action` on in the photos bucket.
fn photo_patterns(template: &Value, function: &str, action: &str) -> Vec<String> {
    bucket_patterns(template, function, action, "PhotosBucket")
}

/// The object patterns `function`'s policies allow `action` on in `bucket`.
fn bucket_patterns(template: &Value, function: &str, action: &str, bucket: &str) -> Vec<String> {
    let arn = format!("${{{bucket}.Arn}}/");
    let statements = template["Resources"][function]["Properties"]["Policies"]
        .as_array()
        .unwrap_or_else(|| panic!("{function} has policies"))
        .iter()
        .flat_map(|p| p["Statement"].as_array().cloned().unwrap_or_default());
    let mut patterns = Vec::new();
    for statement in statements {
        let actions = match &statement["Action"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        if !actions.iter().any(|a| a == action) {
            continue;
        }
        let resources = match &statement["Resource"] {
            Value::Array(many) => many.clone(),
            one => vec![one.clone()],
        };
        for resource in resources {
            if let Some(sub) = resource["Fn::Sub"].as_str()
                && let Some(pattern) = sub.strip_prefix(arn.as_str())
            {
                patterns.push(pattern.to_owned());
            }
        }
    }
    patterns
}

/// S3's wildcard: `*` matches any run of characters.
fn matches(pattern: &str, key: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == key,
        Some((head, tail)) => {
            key.starts_with(head)
                && (0..=key.len() - head.len()).any(|i| matches(tail, &key[head.len() + i..]))
        }
    }
}

fn allowed(patterns: &[String], key: &str) -> bool {
    patterns.iter().any(|p| matches(p, key))
}

fn evidence() -> (Checked, PortraitChecked) {
    let digest = Digest::of(b"some checked bytes");
    let checked = Checked {
        collection: CollectionId::new(),
        attempt: AttemptId::new(),
        digest,
    };
    let portrait = PortraitChecked {
        portrait: PortraitId::new(),
        digest,
    };
    (checked, portrait)
}

#[test]
fn the_processor_may_write_and_discard_every_object_it_makes_and_nothing_else() {
    let template = localstack::template();
    let (checked, portrait) = evidence();
    let made = [
        checked.original_key(),
        checked.standardised_key(),
        checked.preview_key(),
        checked.report_key(),
        portrait.copy_key(),
    ];
    let writes = photo_patterns(&template, "PhotoProcessorFunction", "s3:PutObject");
    let deletes = photo_patterns(&template, "PhotoProcessorFunction", "s3:DeleteObject");
    for key in &made {
        assert!(
            allowed(&writes, key),
            "the processor cannot write {key}: {writes:?}"
        );
    }
    for key in &made[..4] {
        assert!(
            allowed(&deletes, key),
            "the processor cannot discard {key}: {deletes:?}"
        );
    }
    // A portrait's copy is never discarded, and no wildcard covers the whole bucket.
    assert!(!allowed(&deletes, &portrait.copy_key()));
    assert!(!writes.iter().chain(&deletes).any(|p| p == "*"));
}

#[test]
fn reviewers_links_are_signed_for_the_evidence_copies_only() {
    let template = localstack::template();
    let (checked, portrait) = evidence();
    let reads = photo_patterns(&template, "ReviewFunction", "s3:GetObject");
    for key in [
        checked.original_key(),
        checked.standardised_key(),
        checked.report_key(),
        portrait.copy_key(),
    ] {
        assert!(
            allowed(&reads, &key),
            "the review function cannot read {key}: {reads:?}"
        );
    }
    // The upload keys, which a presigned PUT can replace, are not what a reviewer is shown.
    let uploads = template["Resources"]["ReviewFunction"].to_string();
    assert!(
        !uploads.contains("UploadsBucket.Arn}/attempts"),
        "{uploads}"
    );
}

#[test]
fn the_review_function_writes_print_sheets_and_no_evidence() {
    let template = localstack::template();
    let sheet = store::objects::print_sheet_key(
        domain::TaskId::new(),
        domain::PrintBatchId::new(),
        "2022110101",
        "pdf",
    );
    let writes = photo_patterns(&template, "ReviewFunction", "s3:PutObject");
    let reads = photo_patterns(&template, "ReviewFunction", "s3:GetObject");
    assert!(allowed(&writes, &sheet), "{writes:?}");
    assert!(allowed(&reads, &sheet), "{reads:?}");
    let (checked, portrait) = evidence();
    for key in [
        checked.original_key(),
        checked.standardised_key(),
        checked.report_key(),
        portrait.copy_key(),
    ] {
        assert!(
            !allowed(&writes, &key),
            "the review function can write {key}"
        );
    }
}

#[test]
fn the_api_reads_a_student_s_own_photos_and_no_evidence_copy() {
    let template = localstack::template();
    let (checked, portrait) = evidence();
    let reads = photo_patterns(&template, "ApiFunction", "s3:GetObject");
    for key in [
        checked.standardised_key(),
        checked.preview_key(),
        checked.report_key(),
    ] {
        assert!(
            allowed(&reads, &key),
            "the API cannot read {key}: {reads:?}"
        );
    }
    // The exact bytes checked and the ID card's copy are for reviewers only.
    for key in [checked.original_key(), portrait.copy_key()] {
        assert!(!allowed(&reads, &key), "the API can read {key}");
    }
    let writes = photo_patterns(&template, "ApiFunction", "s3:PutObject");
    assert!(writes.is_empty(), "{writes:?}");
}

#[test]
fn the_wildcard_matcher_is_s3_s() {
    assert!(matches("checked/*", "checked/a/b/c"));
    assert!(!matches("checked/*", "checked-portraits/a"));
    assert!(matches("reports/*.json", "reports/a/b.json"));
    assert!(!matches("reports/*.json", "reports/a/b.jpg"));
}

/// The functions that seal or open personal data, with the directory of their code.
const HOLD_PII: [(&str, &str); 4] = [
    ("ApiFunction", "api"),
    ("PhotoProcessorFunction", "photo-processor"),
    ("ReviewFunction", "review"),
    ("PublisherFunction", "publisher"),
];

#[test]
fn only_the_functions_that_handle_personal_data_hold_its_key() {
    let template = localstack::template();
    let globals = template["Globals"]["Function"]["Environment"]["Variables"].to_string();
    assert!(
        !globals.contains("PII_KEY"),
        "every function is told the key: {globals}"
    );
    let resources = template["Resources"].as_object().unwrap();
    let functions: Vec<&String> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(name, _)| name)
        .collect();
    assert!(functions.len() >= 7, "{functions:?}");
    for name in functions {
        let function = &resources[name.as_str()];
        let told = function["Properties"]["Environment"]["Variables"]
            .get("PII_KEY_PARAMETER")
            .is_some();
        let granted = function["Properties"]["Policies"]
            .to_string()
            .contains("parameter${PiiKeyParameterName}");
        let needs = HOLD_PII.iter().any(|(n, _)| n == name);
        assert_eq!(told, needs, "{name}: told the key's parameter");
        assert_eq!(granted, needs, "{name}: granted the key's parameter");
    }
    // And the code agrees: only those functions load the key.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../functions");
    for entry in std::fs::read_dir(root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let code = source_of(&dir.join("src"));
        let loads = code.contains("load_with_pii") || code.contains("Store::from_env");
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let holds = HOLD_PII.iter().any(|(_, d)| *d == name);
        assert_eq!(loads, holds, "functions/{name} loads the key: {loads}");
    }
}

/// Every Rust file under `dir`, concatenated.
fn source_of(dir: &std::path::Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            text.push_str(&source_of(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            text.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    text
}

#[test]
fn every_function_logs_to_a_group_kept_for_the_retention_parameter() {
    let template = localstack::template();
    let resources = template["Resources"].as_object().unwrap();
    assert_eq!(
        template["Parameters"]["LogRetentionDays"]["Default"],
        serde_json::json!(30)
    );
    for (name, function) in resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
    {
        let group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} logs to no group of the stack's"));
        let group = &resources[group];
        assert_eq!(group["Type"], "AWS::Logs::LogGroup", "{name}");
        assert_eq!(
            group["Properties"]["RetentionInDays"]["Ref"], "LogRetentionDays",
            "{name}'s logs are kept forever"
        );
    }
}

#[test]
fn every_bucket_of_personal_data_expires_what_it_holds() {
    let template = localstack::template();
    let resources = template["Resources"].as_object().unwrap();
    let mut checked = 0;
    for (name, bucket) in resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::S3::Bucket")
    {
        let props = &bucket["Properties"];
        let personal = props["Tags"].as_array().is_some_and(|tags| {
            tags.iter()
                .any(|t| t["Key"] == "data-class" && t["Value"] == "personal")
        });
        if !personal {
            continue;
        }
        checked += 1;
        let rules = props["LifecycleConfiguration"]["Rules"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no lifecycle rules"));
        let enabled = || rules.iter().filter(|r| r["Status"] == "Enabled");
        // Current objects too, by a rule that applies to every object (no filter).
        assert!(
            enabled().any(|r| r.get("ExpirationInDays").is_some()
                && r.get("TagFilters").is_none()
                && r.get("Prefix").is_none()),
            "{name}: current objects never expire"
        );
        if props["VersioningConfiguration"]["Status"] == "Enabled" {
            assert!(
                enabled().any(|r| r.get("NoncurrentVersionExpiration").is_some()),
                "{name}: old versions are kept forever"
            );
        }
    }
    assert_eq!(checked, 3, "uploads, photos and outbox hold personal data");
}

/// The partitions a function may delete from: none holds a case or its audit events.
const DELETABLE: [&str; 5] = [
    "LEASE#*",
    "ADDRESS#*",
    "REVOKED#*",
    "FACE#*",
    "PROCESSING#*",
];
/// And the purger's besides: the personal data it deletes (DESIGN §3), still never a case or
/// an event.
const PURGER_DELETABLE: [&str; 7] = [
    "STUDENT#*",
    "IDENTITY#*",
    "PORTRAIT#*",
    "CARD#*",
    "TASK#*",
    "CHSICODE#*",
    "ADDRESS#*",
];
/// The partitions a roster import writes in bulk: enrollments and their pointers.
const BULK_WRITABLE: [&str; 2] = ["TASK#*", "CHSICODE#*"];

#[test]
fn no_function_can_delete_or_overwrite_in_bulk_an_audit_event() {
    let template = localstack::template();
    for (name, function) in template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
    {
        let statements = function["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["Statement"].as_array().cloned().unwrap_or_default());
        for statement in statements {
            let actions = statement["Action"].to_string();
            assert!(!actions.contains("dynamodb:*"), "{name} may do anything");
            let leading = |what: &str| -> Vec<String> {
                let keys =
                    &statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
                keys.as_array()
                    .unwrap_or_else(|| panic!("{name} may {what} any item: {statement}"))
                    .iter()
                    .map(|k| k.as_str().unwrap().to_owned())
                    .collect()
            };
            if actions.contains("dynamodb:DeleteItem") {
                for key in leading("delete") {
                    let purger =
                        name == "PurgerFunction" && PURGER_DELETABLE.contains(&key.as_str());
                    assert!(
                        purger || DELETABLE.contains(&key.as_str()),
                        "{name} may delete from {key}"
                    );
                }
            }
            // Bulk writes (a roster) only where no case and no event lives.
            if actions.contains("dynamodb:BatchWriteItem") {
                for key in leading("overwrite in bulk") {
                    assert!(
                        BULK_WRITABLE.contains(&key.as_str()),
                        "{name} may bulk-write {key}"
                    );
                }
            }
        }
    }
    // The keys the code deletes live in those partitions, apart from the cases'.
    let case = CollectionId::new();
    let attempt = domain::AttemptId::new();
    for (pk, _) in [
        store::keys::lease(case),
        store::keys::address(case),
        store::keys::processing(attempt),
    ] {
        assert!(!pk.starts_with("COLLECTION#"), "{pk}");
        assert!(DELETABLE.iter().any(|p| matches(p, &pk)), "{pk}");
    }
    assert!(
        DELETABLE
            .iter()
            .any(|p| matches(p, &store::keys::revoked("ops-1").0))
    );
    let task = domain::TaskId::new();
    let portrait = domain::PortraitId::new();
    for (pk, _) in [
        store::keys::student("o-1"),
        store::keys::consent("o-1", "v1"),
        store::keys::erasure_of_student("o-1"),
        store::keys::identity_owner("ab12"),
        store::keys::portrait(portrait),
        store::keys::card_text(portrait),
        store::keys::case_of_enrollment(task, "2022001"),
        store::keys::enrollment(task, "2022001"),
        store::keys::chsi_code("ab12"),
    ] {
        assert!(PURGER_DELETABLE.iter().any(|p| matches(p, &pk)), "{pk}");
    }
    let (event_pk, _) = store::keys::event(case, 1);
    let (case_pk, _) = store::keys::collection(case);
    for pk in [event_pk, case_pk] {
        assert!(
            !DELETABLE
                .iter()
                .chain(&PURGER_DELETABLE)
                .chain(&BULK_WRITABLE)
                .any(|p| matches(p, &pk)),
            "{pk}"
        );
    }
    for (pk, _) in [
        store::keys::enrollment(task, "2022001"),
        store::keys::chsi_code("ab12"),
    ] {
        assert!(BULK_WRITABLE.iter().any(|p| matches(p, &pk)), "{pk}");
    }
}

#[test]
fn the_purger_may_delete_every_object_it_purges() {
    let template = localstack::template();
    let (checked, portrait) = evidence();
    let photos = photo_patterns(&template, "PurgerFunction", "s3:DeleteObject");
    let retouched = store::RetouchedKey {
        collection: checked.collection,
        attempt: checked.attempt,
        digest: checked.digest,
    };
    let sheet = store::objects::print_sheet_key(
        domain::TaskId::new(),
        domain::PrintBatchId::new(),
        "2022110101",
        "jpg",
    );
    for key in [
        checked.original_key(),
        checked.standardised_key(),
        checked.preview_key(),
        checked.report_key(),
        portrait.copy_key(),
        retouched.photo_key(),
        store::RetouchedKey::check_key(checked.collection, checked.attempt),
        sheet,
    ] {
        assert!(
            allowed(&photos, &key),
            "the purger cannot delete {key}: {photos:?}"
        );
    }
    let uploads = bucket_patterns(
        &template,
        "PurgerFunction",
        "s3:DeleteObject",
        "UploadsBucket",
    );
    for key in [
        store::UploadKey::Attempt {
            collection: checked.collection,
            attempt: checked.attempt,
        },
        store::UploadKey::Retouch {
            collection: checked.collection,
            attempt: checked.attempt,
        },
        store::UploadKey::Portrait(portrait.portrait),
    ] {
        let key = key.to_string();
        assert!(
            allowed(&uploads, &key),
            "the purger cannot delete {key}: {uploads:?}"
        );
    }
}

/// The resources of `kind`, by logical id.
fn resources<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// Every `alarm = "..."` the code logs, with the file that logs it.
fn logged_alarms() -> Vec<(String, std::path::PathBuf)> {
    let mut found = Vec::new();
    let mut dirs = vec![
        localstack::workspace_root().join("functions"),
        localstack::workspace_root().join("shared"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("tests") && !path.ends_with("target") {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for piece in text.split("alarm = \"").skip(1) {
                    let name = piece.split('"').next().unwrap().to_owned();
                    found.push((name, path.clone()));
                }
            }
        }
    }
    found
}

fn acts_on_the_topic(alarm: &Value) -> bool {
    alarm["Properties"]["AlarmActions"]
        .as_array()
        .is_some_and(|actions| actions.iter().any(|a| a["Ref"] == "AlarmTopic"))
}

#[test]
fn every_alarm_the_code_logs_is_counted_by_a_metric_filter_and_pages_someone() {
    let template = localstack::template();
    let filters = resources(&template, "AWS::Logs::MetricFilter");
    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    let logged = logged_alarms();
    assert!(
        logged.len() >= 8,
        "the scan finds the code's alarms: {logged:?}"
    );
    for (name, file) in &logged {
        let counted: Vec<_> = filters
            .iter()
            .filter(|(_, f)| {
                let p = &f["Properties"];
                p["MetricTransformations"][0]["MetricName"] == name.as_str()
                    && p["FilterPattern"].as_str().unwrap().contains(name.as_str())
                    && p["FilterPattern"].as_str().unwrap().contains("alarm=")
            })
            .collect();
        assert!(
            !counted.is_empty(),
            "{name} ({}) has no metric filter",
            file.display()
        );
        // On the log group of a function that runs the code that logs it.
        let crate_dir = file
            .ancestors()
            .find(|a| a.join("Cargo.toml").exists())
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let group_of = |f: &Value| {
            f["Properties"]["LogGroupName"]["Ref"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let groups: Vec<String> = counted.iter().map(|(_, f)| group_of(f)).collect();
        let function = crate_dir
            .split('-')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect::<String>();
        assert!(
            crate_dir == "payments" || groups.contains(&format!("{function}Logs")),
            "{name} is logged by {crate_dir}, counted in {groups:?}"
        );
        assert!(
            alarms.iter().any(
                |(_, a)| a["Properties"]["MetricName"] == name.as_str() && acts_on_the_topic(a)
            ),
            "{name} has no alarm that acts"
        );
    }
}

#[test]
fn every_alarm_acts_and_the_queues_and_functions_that_matter_have_one() {
    let template = localstack::template();
    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    for (id, alarm) in &alarms {
        assert!(acts_on_the_topic(alarm), "{id} alarms no one");
    }
    let watches = |namespace: &str, metric: &str, dimension: &Value| {
        alarms.iter().any(|(_, a)| {
            let p = &a["Properties"];
            p["Namespace"] == namespace
                && p["MetricName"] == metric
                && p["Dimensions"][0]["Value"] == *dimension
        })
    };
    // Every dead-letter queue: both the SQS redrive target and the stream's failure target.
    let text = template.to_string();
    for (id, _) in resources(&template, "AWS::SQS::Queue") {
        let target = serde_json::json!({"Fn::GetAtt": [id, "Arn"]}).to_string();
        let is_dead_letter = text.contains(&format!("\"deadLetterTargetArn\":{target}"))
            || text.contains(&format!("\"Destination\":{target}"));
        if is_dead_letter {
            let name = serde_json::json!({"Fn::GetAtt": [id, "QueueName"]});
            assert!(
                watches("AWS/SQS", "ApproximateNumberOfMessagesVisible", &name),
                "{id} has no alarm"
            );
        }
    }
    for function in [
        "PaymentWebhookFunction",
        "PhotoProcessorFunction",
        "PublisherFunction",
    ] {
        for metric in ["Errors", "Throttles"] {
            let name = serde_json::json!({"Ref": function});
            assert!(watches("AWS/Lambda", metric, &name), "{function} {metric}");
        }
    }
    let api = serde_json::json!({"Ref": "HttpApi"});
    assert!(watches("AWS/ApiGateway", "5xx", &api));
    let topic = &template["Resources"]["AlarmTopic"];
    assert_eq!(topic["Type"], "AWS::SNS::Topic");
}

#[test]
fn the_processor_is_capped_and_a_stalled_attempt_is_swept_only_after_its_retries() {
    let template = localstack::template();
    let processor = &template["Resources"]["PhotoProcessorFunction"]["Properties"];
    let source = &processor["Events"]["Uploads"]["Properties"];
    assert_eq!(
        source["ScalingConfig"]["MaximumConcurrency"]["Ref"],
        "ProcessorMaxConcurrency"
    );
    for (function, parameter) in [
        ("ApiFunction", "ApiReservedConcurrency"),
        ("PaymentWebhookFunction", "WebhookReservedConcurrency"),
    ] {
        let reserved =
            template["Resources"][function]["Properties"]["ReservedConcurrentExecutions"]
                .to_string();
        assert!(reserved.contains(parameter), "{function}: {reserved}");
    }
    // The sweep waits out every receive the queue allows, and the processor answers within
    // one receive's visibility.
    let queue = &template["Resources"]["UploadsQueue"]["Properties"];
    let visibility = queue["VisibilityTimeout"].as_i64().unwrap();
    let receives = queue["RedrivePolicy"]["maxReceiveCount"].as_i64().unwrap();
    assert!(time::Duration::seconds(visibility * receives) < reconciler::STALLED_AFTER);
    assert!(processor["Timeout"].as_i64().unwrap() < visibility);
}
