//! The README's main job: one student's case through the system on the local stack, every
//! function run as Lambda would run it (see the `e2e` crate); then the console's address, with
//! cases waiting in it, kept up until Enter when run from a terminal.

use std::io::IsTerminal;

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

    // Something for the console: three more students waiting for review.
    let waiting = e2e::seed::task_in_review(
        &fns,
        "华南理工大学（演示）",
        1,
        3,
        OffsetDateTime::now_utc(),
    )
    .await?;
    println!();
    println!("console   {}", fns.console_url());
    println!(
        "          3 cases wait for review in task {}",
        waiting.task_id
    );
    println!(
        "          reviewer token: {}",
        fns.api.reviewer_token("reviewer-demo")
    );
    println!("          operator token: {}", fns.api.operator_token());
    if std::io::stdin().is_terminal() {
        println!("press Enter to stop the functions and the console");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
    }
    Ok(())
}
