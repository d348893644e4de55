//! The README's main job: one student's case through the system on the local stack, the API
//! served by `cargo lambda watch` exactly as Lambda would run it, the photo processor fed from
//! the uploads queue.

use e2e::{LocalApi, LocalProcessor, StackNames};
use time::OffsetDateTime;

#[tokio::main]
async fn main() -> Result<(), e2e::Error> {
    let store = store::Store::from_env().await?;
    println!("starting the API under cargo lambda watch (the first run compiles it)…");
    let stack = StackNames::from_env()?;
    let api = LocalApi::start(&stack).await?;
    println!("API at {}", api.function.base_url);
    let photos = LocalProcessor::start(&store, &stack).await?;
    let journey = e2e::walk(
        &store,
        &api,
        &photos,
        OffsetDateTime::now_utc(),
        &mut |line| println!("{line}"),
    )
    .await?;
    let case = store.table.collection(journey.collection).await?;
    println!(
        "case {} ended as {} at version {}",
        case.id, case.status, case.version
    );
    Ok(())
}
