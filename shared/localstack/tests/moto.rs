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
    // Tokens of this run only: a shared moto remembers tokens for 10 minutes.
    let [first, second] = [ulid::Ulid::new().to_string(), ulid::Ulid::new().to_string()];
    send(&first, "first").await.expect("written");
    // The same request again, as the SDK sends it when the answer was lost: a success that
    // writes nothing (its condition would fail if it ran).
    send(&first, "first").await.expect("the retry succeeds");
    // Another token: a new request, whose condition fails.
    let cancelled = |e: TransactWriteItemsError| {
        matches!(e, TransactWriteItemsError::TransactionCanceledException(_))
    };
    let again = send(&second, "first").await.expect_err("the item exists");
    assert!(
        cancelled(again.into_service_error()),
        "a new token runs the transaction"
    );
    // A token whose transaction failed may run again (and fails again here).
    let retried = send(&second, "first").await.expect_err("runs again");
    assert!(
        cancelled(retried.into_service_error()),
        "a failed transaction's token is not remembered"
    );
    // The first token with other items: refused, nothing written.
    let changed = send(&first, "second").await.expect_err("a mismatch");
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
