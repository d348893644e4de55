//! `localstack provision --endpoint URL --prefix NAME`: creates the service's resources on a
//! running moto server and prints them as `export NAME=value` lines for a shell to source.

use localstack::{Names, provision, sdk_config};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), localstack::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some("provision"), Some(endpoint), Some(prefix)) = (
        args.first().map(String::as_str),
        value("--endpoint"),
        value("--prefix"),
    ) else {
        eprintln!("usage: localstack provision --endpoint URL --prefix NAME");
        std::process::exit(2);
    };
    let sdk = sdk_config(&endpoint).await;
    let stack = provision(&sdk, &Names::with_prefix(&prefix)).await?;
    let names = &stack.names;
    for (name, value) in [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", localstack::REGION),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("TABLE_NAME", &names.table),
        ("UPLOADS_BUCKET", &names.uploads_bucket),
        ("PHOTOS_BUCKET", &names.photos_bucket),
        ("OUTBOX_BUCKET", &names.outbox_bucket),
        ("CONSOLE_BUCKET", &names.console_bucket),
        ("UPLOADS_QUEUE_URL", &stack.uploads_queue_url),
        ("TABLE_STREAM_ARN", &stack.table_stream_arn),
        ("DEAD_LETTER_QUEUE_URL", &stack.dead_letter_queue_url),
    ] {
        println!("export {name}={value}");
    }
    Ok(())
}
