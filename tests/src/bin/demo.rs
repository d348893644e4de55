//! The README's main job: one student's case through the system on the local stack.

use time::OffsetDateTime;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), e2e::Error> {
    let store = store::Store::from_env().await?;
    let journey = e2e::walk(&store, OffsetDateTime::now_utc(), &mut |line| {
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
