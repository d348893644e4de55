//! Presigned uploads against a real moto S3.

use domain::{AttemptId, CollectionId};
use localstack::TestEnv;
use store::objects::{MAX_UPLOAD_BYTES, PRESIGN_TTL};
use store::{ImageType, StoreError, UploadKey};

#[tokio::test]
async fn a_presigned_put_uploads_the_file_over_http() {
    let env = TestEnv::new().await;
    let photo = b"\xFF\xD8\xFF\xE0 a small stand-in for a JPEG".to_vec();
    let key = UploadKey::Attempt {
        collection: CollectionId::new(),
        attempt: AttemptId::new(),
    };
    let upload = env
        .store
        .objects
        .presign_upload(key, ImageType::Jpeg, photo.len() as u64)
        .await
        .unwrap();

    // The signature binds the type and the length, and the URL lives 5 minutes at most.
    assert!(upload.url.contains("X-Amz-Expires=300"), "{}", upload.url);
    let signed = upload.url.split("X-Amz-SignedHeaders=").nth(1).unwrap();
    let signed = signed.split('&').next().unwrap();
    assert!(
        signed.contains("content-length") && signed.contains("content-type"),
        "{signed}"
    );
    let lifetime = upload.expires_at - time::OffsetDateTime::now_utc();
    assert!(lifetime <= PRESIGN_TTL && lifetime > PRESIGN_TTL - std::time::Duration::from_secs(60));
    assert!(upload.url.contains(&key.to_string()), "{}", upload.url);

    let client = localstack::http_client();
    let mut request = client.put(&upload.url).body(photo.clone());
    for (name, value) in &upload.headers {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());

    let stored = env
        .store
        .objects
        .client()
        .get_object()
        .bucket(&env.stack.names.uploads_bucket)
        .key(key.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(stored.content_type(), Some("image/jpeg"));
    assert_eq!(
        stored.body.collect().await.unwrap().into_bytes().as_ref(),
        photo.as_slice()
    );
}

#[tokio::test]
async fn uploads_are_bounded_to_15_mb() {
    let env = TestEnv::new().await;
    let key = UploadKey::Portrait(domain::PortraitId::new());
    let objects = &env.store.objects;
    for length in [0, MAX_UPLOAD_BYTES + 1] {
        let err = objects
            .presign_upload(key, ImageType::Png, length)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{length}: {err}");
    }
    assert!(
        objects
            .presign_upload(key, ImageType::Png, MAX_UPLOAD_BYTES)
            .await
            .is_ok()
    );
}
