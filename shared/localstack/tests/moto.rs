//! The local moto keeps DynamoDB's promise about a transaction's `ClientRequestToken`
//! (`scripts/moto_server.py`): the SDK's retry after a lost answer must not turn a write that
//! was made into a conflict.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use localstack::TestEnv;

fn put_new(table: &str, value: &str) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .item("pk", AttributeValue::S("TOKEN#test".into()))
                .item("sk", AttributeValue::S("item".into()))
                .item("v", AttributeValue::S(value.into()))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .unwrap(),
        )
        .build()
}

#[tokio::test]
async fn a_transaction_repeated_with_its_token_succeeds_once_and_a_changed_one_is_refused() {
    let env = TestEnv::new().await;
    let (db, table) = (env.dynamodb(), &env.stack.names.table);
    let send = |token: &str, value: &str| {
        db.transact_write_items()
            .client_request_token(token)
            .transact_items(put_new(table, value))
            .send()
    };
    send("token-1", "first").await.expect("written");
    // The same request again, as the SDK sends it when the answer was lost: a success that
    // writes nothing (its condition would fail if it ran).
    send("token-1", "first").await.expect("the retry succeeds");
    // Another token: a new request, whose condition fails.
    let again = send("token-2", "first").await.expect_err("the item exists");
    assert!(
        matches!(
            again.into_service_error(),
            TransactWriteItemsError::TransactionCanceledException(_)
        ),
        "a new token runs the transaction"
    );
    // The first token with other items: refused, nothing written.
    let changed = send("token-1", "second").await.expect_err("a mismatch");
    assert!(
        matches!(
            changed.into_service_error(),
            TransactWriteItemsError::IdempotentParameterMismatchException(_)
        ),
        "the same token with other items"
    );
    let item = db
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S("TOKEN#test".into()))
        .key("sk", AttributeValue::S("item".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the item");
    assert_eq!(item["v"], AttributeValue::S("first".into()));
}
