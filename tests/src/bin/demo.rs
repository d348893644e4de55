//! The README's main job: one student's case through the system on the local stack, every
//! function run as Lambda would run it (see the `e2e` crate).

use e2e::{Functions, StackNames};
use time::OffsetDateTime;

#[tokio::main]
async fn main() -> Result<(), e2e::Error> {
    let store = store::Store::from_env().await?;
    println!("starting the functions under cargo lambda watch (the first run compiles them)…");
    let stack = StackNames::from_env()?;
    let mut fns = Functions::start(&store, &stack).await?;
    println!("API at {}", fns.api.function.base_url);
    println!("review at {}", fns.api.review.base_url);
    let journey = e2e::walk(&mut fns, OffsetDateTime::now_utc(), &mut |line| {
        println!("{line}")
    })
    .await?;
    let case = store.table.collection(journey.collection).await?;
    println!(
        "case {} ended as {} at version {}",
        case.id, case.status, case.version
    );
    Ok(())
}
