mod common;

use aws_sdk_s3::types::ServerSideEncryption;
use chsi::{Archive, ChsiGateway, S3Outbox};
use localstack::TestEnv;

#[tokio::test]
async fn outbox_holds_one_encrypted_object_per_batch_however_often_it_is_delivered() {
    let env = TestEnv::new().await;
    let s3 = aws_sdk_s3::Client::new(&env.sdk);
    let bucket = env.stack.names.outbox_bucket.clone();
    let gateway: Box<dyn ChsiGateway> = Box::new(S3Outbox::new(s3.clone(), bucket.clone()));
    let archive = Archive::build(&common::batch("B1")).unwrap();

    let first = gateway.deliver(&archive).await.unwrap();
    let again = gateway.deliver(&archive).await.unwrap();

    assert_eq!(first.reference, format!("s3://{bucket}/batches/T1/B1.zip"));
    assert_eq!(again, first);
    let listed = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("batches/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["batches/T1/B1.zip"]);
    let object = s3
        .get_object()
        .bucket(&bucket)
        .key("batches/T1/B1.zip")
        .send()
        .await
        .unwrap();
    assert_eq!(object.content_type(), Some("application/zip"));
    assert_eq!(
        object.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    assert_eq!(
        object.metadata().and_then(|m| m.get("sha256")),
        Some(&archive.sha256)
    );
    let bytes = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(bytes.as_ref(), archive.bytes.as_slice());
}

#[tokio::test]
async fn a_missing_bucket_is_worth_retrying() {
    let env = TestEnv::new().await;
    let outbox = S3Outbox::new(
        aws_sdk_s3::Client::new(&env.sdk),
        "no-such-bucket-chsi".into(),
    );
    let archive = Archive::build(&common::batch("B1")).unwrap();

    let error = outbox.deliver(&archive).await.unwrap_err();

    assert!(
        matches!(error, chsi::GatewayError::Unavailable(_)),
        "{error}"
    );
}
