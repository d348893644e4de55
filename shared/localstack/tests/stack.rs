//! The local stack is the template's stack: same table, same wiring, and lint-clean.

use std::process::Command;

use aws_sdk_dynamodb::types::TimeToLiveStatus;
use localstack::{MAX_RECEIVES, TestEnv, template, venv_dir, workspace_root};
use serde_json::{Value, json};

fn template_path() -> String {
    workspace_root()
        .join("infra/template.yaml")
        .display()
        .to_string()
}

fn run_linter(program: &str, args: &[&str]) {
    let output = Command::new(venv_dir().join("bin").join(program))
        .args(args)
        // Offline, with no credentials of anyone's.
        .env("AWS_ACCESS_KEY_ID", "lint")
        .env("AWS_SECRET_ACCESS_KEY", "lint")
        .env("SAM_CLI_TELEMETRY", "0")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn template_passes_cfn_lint_for_china_and_global_regions() {
    let template = template_path();
    run_linter(
        "cfn-lint",
        &[
            "--regions",
            "cn-north-1",
            "cn-northwest-1",
            "us-east-1",
            "--",
            &template,
        ],
    );
}

#[test]
fn template_passes_sam_validate_lint() {
    let template = template_path();
    for region in ["cn-north-1", "us-east-1"] {
        run_linter(
            "sam",
            &[
                "validate",
                "--lint",
                "--template-file",
                &template,
                "--region",
                region,
            ],
        );
    }
}

#[test]
fn every_arn_in_the_template_names_its_partition() {
    let text = std::fs::read_to_string(template_path()).unwrap();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        assert!(
            !line.contains("arn:aws:") && !line.contains("arn:aws-cn:"),
            "line {}: a literal partition breaks the other regions: {line}",
            n + 1
        );
    }
}

fn sorted(mut values: Vec<Value>) -> Vec<Value> {
    values.sort_by_key(|v| v.to_string());
    values
}

#[tokio::test]
async fn local_table_matches_the_template() {
    let template = template();
    let table = &template["Resources"]["Table"]["Properties"];
    let env = TestEnv::new().await;
    let described = env
        .dynamodb()
        .describe_table()
        .table_name(&env.stack.names.table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();

    let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<Value> {
        schema
            .iter()
            .map(|k| json!({"AttributeName": k.attribute_name(), "KeyType": k.key_type().as_str()}))
            .collect()
    };
    assert_eq!(
        Value::Array(keys(described.key_schema())),
        table["KeySchema"]
    );

    let attributes: Vec<Value> = described
        .attribute_definitions()
        .iter()
        .map(|a| json!({"AttributeName": a.attribute_name(), "AttributeType": a.attribute_type().as_str()}))
        .collect();
    assert_eq!(
        sorted(attributes),
        sorted(table["AttributeDefinitions"].as_array().unwrap().clone())
    );

    let indexes: Vec<Value> = described
        .global_secondary_indexes()
        .iter()
        .map(|g| {
            json!({
                "IndexName": g.index_name(),
                "KeySchema": keys(g.key_schema()),
                "Projection": {"ProjectionType": g.projection().and_then(|p| p.projection_type()).map(|p| p.as_str())},
            })
        })
        .collect();
    assert_eq!(
        sorted(indexes),
        sorted(table["GlobalSecondaryIndexes"].as_array().unwrap().clone())
    );

    let stream = described.stream_specification().unwrap();
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        table["StreamSpecification"]["StreamViewType"].as_str()
    );
    assert!(env.stack.table_stream_arn.starts_with("arn:aws:dynamodb:"));

    let ttl = env
        .dynamodb()
        .describe_time_to_live()
        .table_name(&env.stack.names.table)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    assert_eq!(
        ttl.attribute_name(),
        table["TimeToLiveSpecification"]["AttributeName"].as_str()
    );
    assert_eq!(
        table["TimeToLiveSpecification"]["AttributeName"],
        store::keys::EXPIRES_AT
    );
}

#[tokio::test]
async fn an_upload_reaches_the_queue_and_failures_go_to_the_dead_letter_queue() {
    let template = template();
    let redrive = &template["Resources"]["UploadsQueue"]["Properties"]["RedrivePolicy"];
    assert_eq!(
        redrive["maxReceiveCount"].as_u64(),
        Some(MAX_RECEIVES as u64)
    );

    let env = TestEnv::new().await;
    let names = &env.stack.names;
    let key = format!("attempts/{}/{}", ulid::Ulid::new(), ulid::Ulid::new());
    env.store
        .objects
        .client()
        .put_object()
        .bucket(&names.uploads_bucket)
        .key(&key)
        .body(b"photo".to_vec().into())
        .send()
        .await
        .unwrap();

    // Like real S3, moto first sends an `s3:TestEvent` when the notification is configured;
    // consumers must acknowledge and skip it.
    let sqs = env.sqs();
    let mut bodies: Vec<Value> = Vec::new();
    let mut receipt = None;
    for _ in 0..5 {
        let received = sqs
            .receive_message()
            .queue_url(&env.stack.uploads_queue_url)
            .max_number_of_messages(10)
            // Redeliver at once: this test plays a consumer that keeps failing.
            .visibility_timeout(0)
            .wait_time_seconds(2)
            .send()
            .await
            .unwrap();
        for message in received.messages() {
            let body: Value = serde_json::from_str(message.body().unwrap()).unwrap();
            if body.get("Records").is_some() {
                receipt = Some(message.receipt_handle().unwrap().to_owned());
            }
            bodies.push(body);
        }
        if receipt.is_some() {
            break;
        }
    }
    assert!(receipt.is_some(), "no ObjectCreated event among {bodies:?}");
    assert!(bodies.iter().any(|b| b["Event"] == "s3:TestEvent"));
    let event = bodies.iter().find(|b| b.get("Records").is_some()).unwrap();
    let record = &event["Records"][0];
    assert!(
        record["eventName"]
            .as_str()
            .unwrap()
            .starts_with("ObjectCreated")
    );
    assert_eq!(
        record["s3"]["bucket"]["name"],
        names.uploads_bucket.as_str()
    );
    // moto URL-encodes the '/' in keys; real S3 encodes other characters. Consumers decode.
    let encoded = record["s3"]["object"]["key"].as_str().unwrap();
    assert_eq!(encoded.replace("%2F", "/"), key);

    // Failing it MAX_RECEIVES times moves it to the dead-letter queue.
    let mut receives = 1;
    for _ in 0..20 {
        if receives >= MAX_RECEIVES {
            break;
        }
        let again = sqs
            .receive_message()
            .queue_url(&env.stack.uploads_queue_url)
            .visibility_timeout(0)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let ours = again
            .messages()
            .iter()
            .filter(|m| m.body().unwrap().contains("Records"));
        receives += ours.count() as u32;
    }
    assert_eq!(receives, MAX_RECEIVES);
    let dead = sqs
        .receive_message()
        .queue_url(&env.stack.uploads_queue_url)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    assert!(
        dead.messages()
            .iter()
            .all(|m| !m.body().unwrap().contains("Records"))
    );
    let dlq = sqs
        .receive_message()
        .queue_url(&env.stack.dead_letter_queue_url)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    let moved = dlq
        .messages()
        .first()
        .expect("the message is in the dead-letter queue");
    assert!(moved.body().unwrap().contains(&names.uploads_bucket));
}
