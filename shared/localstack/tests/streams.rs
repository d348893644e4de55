//! The stream reader on moto's real DynamoDB stream.

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use localstack::TestEnv;
use localstack::streams::{StartAt, TableStream};

async fn put(env: &TestEnv, sk: &str) {
    env.dynamodb()
        .put_item()
        .table_name(&env.stack.names.table)
        .set_item(Some(key(sk)))
        .send()
        .await
        .unwrap();
}

fn key(sk: &str) -> std::collections::HashMap<String, AttributeValue> {
    [
        ("pk".to_owned(), AttributeValue::S("STREAM#test".into())),
        ("sk".to_owned(), AttributeValue::S(sk.into())),
    ]
    .into()
}

/// A transaction's put of the item `sk`, under `condition` if any.
fn put_in_transaction(table: &str, sk: &str, condition: Option<&str>) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(key(sk)))
        .set_condition_expression(condition.map(str::to_owned));
    TransactWriteItem::builder()
        .put(put.build().unwrap())
        .build()
}

fn sort_keys(read: &serde_json::Value) -> Vec<String> {
    read["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["dynamodb"]["Keys"]["sk"]["S"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_reader_sees_each_write_once_from_where_it_started() {
    let env = TestEnv::new().await;
    let arn = &env.stack.table_stream_arn;
    put(&env, "before").await;
    let mut all = TableStream::open(&env.sdk, arn, StartAt::TrimHorizon)
        .await
        .unwrap();
    let mut latest = TableStream::open(&env.sdk, arn, StartAt::Latest)
        .await
        .unwrap();
    put(&env, "after").await;
    assert_eq!(sort_keys(&all.read().await.unwrap()), ["before", "after"]);
    assert_eq!(sort_keys(&latest.read().await.unwrap()), ["after"]);
    assert_eq!(
        sort_keys(&latest.read().await.unwrap()),
        Vec::<String>::new()
    );
    let record = &all.read().await.unwrap();
    assert!(record["Records"].as_array().unwrap().is_empty());
}

/// moto restores a table from a copy when a transaction is cancelled; a reader holding shard
/// iterators from before would never see another record.
#[tokio::test]
async fn a_cancelled_transaction_does_not_blind_the_reader() {
    let env = TestEnv::new().await;
    let arn = &env.stack.table_stream_arn;
    let mut stream = TableStream::open(&env.sdk, arn, StartAt::Latest)
        .await
        .unwrap();
    put(&env, "first").await;
    assert_eq!(sort_keys(&stream.read().await.unwrap()), ["first"]);
    let cancelled = env
        .dynamodb()
        .transact_write_items()
        .transact_items(put_in_transaction(
            &env.stack.names.table,
            "first",
            Some("attribute_not_exists(pk)"),
        ))
        .send()
        .await;
    assert!(cancelled.is_err());
    put(&env, "second").await;
    assert_eq!(sort_keys(&stream.read().await.unwrap()), ["second"]);
}

/// The local moto puts back only the items a cancelled transaction named (not a copy of the
/// whole table): a new item, an updated one and a deleted one written before the failing
/// condition are all as they were, and the stream holds no record of them.
#[tokio::test]
async fn a_cancelled_transaction_leaves_no_trace() {
    let env = TestEnv::new().await;
    let table = &env.stack.names.table;
    put(&env, "kept").await;
    put(&env, "updated").await;
    let mut stream = TableStream::open(&env.sdk, &env.stack.table_stream_arn, StartAt::Latest)
        .await
        .unwrap();
    let cancelled = env
        .dynamodb()
        .transact_write_items()
        .transact_items(put_in_transaction(table, "new", None))
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(table)
                        .set_key(Some(key("updated")))
                        .update_expression("SET v = :v")
                        .expression_attribute_values(":v", AttributeValue::N("2".into()))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(table)
                        .set_key(Some(key("kept")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(table)
                        .set_key(Some(key("absent")))
                        .condition_expression("attribute_exists(pk)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await;
    assert!(cancelled.is_err(), "the condition fails");

    let get = |sk: &'static str| {
        env.dynamodb()
            .get_item()
            .table_name(table)
            .set_key(Some(key(sk)))
            .consistent_read(true)
            .send()
    };
    assert!(
        get("new").await.unwrap().item.is_none(),
        "the put is undone"
    );
    let updated = get("updated").await.unwrap().item.expect("still there");
    assert!(
        !updated.contains_key("v"),
        "the update is undone: {updated:?}"
    );
    assert!(
        get("kept").await.unwrap().item.is_some(),
        "the delete is undone"
    );
    put(&env, "after").await;
    assert_eq!(sort_keys(&stream.read().await.unwrap()), ["after"]);
}
