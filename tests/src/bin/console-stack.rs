//! A local stack to try the console on, and the one its browser tests run against: every
//! function under `cargo lambda watch`, the local HTTP API serving the console, and tasks
//! seeded for each scenario. Prints one JSON line (addresses, staff tokens, tasks), then serves
//! until its standard input closes. `CONSOLE_QUEUE` sets how many cases wait in the large
//! task's queue: 1,000 by default (a day's work for a big school, what the benchmark opens);
//! the browser tests ask for a few pages' worth, so a busy machine does not time them out.
//! The purger's erasure run is scheduled every 2 s instead of hourly.

use e2e::Functions;
use e2e::seed::{self, SeededTask};
use localstack::TestEnv;
use serde_json::json;
use time::OffsetDateTime;
use tokio::io::AsyncReadExt;

/// Cases in the large queue unless `CONSOLE_QUEUE` says otherwise.
const LARGE_QUEUE: u32 = 1000;

#[tokio::main]
async fn main() -> Result<(), e2e::Error> {
    let queue = match std::env::var("CONSOLE_QUEUE") {
        Ok(n) => n
            .parse()
            .map_err(|_| format!("CONSOLE_QUEUE={n} is not a count"))?,
        Err(_) => LARGE_QUEUE,
    };
    let env = TestEnv::new().await;
    let fns = Functions::start(&env.store, &env.stack_names()).await?;
    let now = OffsetDateTime::now_utc();
    let mut tasks = serde_json::Map::new();
    // One task per scenario, so that no test's claims or decisions meet another's.
    // Each with its own student: one person, one account.
    for (first, (scenario, school)) in (1..).zip([
        ("reject", "中山大学"),
        ("contention", "暨南大学"),
        ("keyboard", "华南师范大学"),
        ("lost", "深圳大学"),
        ("retouch", "华南农业大学"),
    ]) {
        let task = seed::task_in_review(&fns, school, first, 1, now).await?;
        tasks.insert(scenario.into(), serde_json::to_value(task)?);
    }
    // Two students' approved photos with prints ordered, for the print and shipping pages.
    let prints = seed::task_with_prints(&fns, "广东工业大学", 6, 2, now).await?;
    tasks.insert("print".into(), serde_json::to_value(prints)?);
    let requests = seed::requests(&fns, "华南理工大学", 10, now).await?;
    let large = fns.api.create_task("广州大学", "20261000", now).await?;
    let large_id = large["id"].as_str().ok_or("a task id")?.to_owned();
    seed::large_queue(&env.store, large_id.parse()?, "广州大学", queue, now).await?;
    let roster = fns.api.create_task("南方科技大学", "20262000", now).await?;
    for (scenario, task) in [("large", large), ("roster", roster)] {
        let seeded = SeededTask {
            task_id: task["id"].as_str().ok_or("a task id")?.to_owned(),
            school: task["school"].as_str().unwrap_or_default().to_owned(),
            cases: Vec::new(),
        };
        tasks.insert(scenario.into(), serde_json::to_value(seeded)?);
    }
    let ready = json!({
        "console": fns.console_url(),
        "http_api": fns.http_api.base_url,
        "tokens": {
            "reviewer_1": fns.api.reviewer_token("reviewer-1"),
            "reviewer_2": fns.api.reviewer_token("reviewer-2"),
            "operator": fns.api.operator_token(),
            "retoucher_1": fns.api.retoucher_token("retoucher-1"),
        },
        "tasks": tasks,
        "large_queue": queue,
        "requests": requests,
    });
    println!("{ready}");
    // The purger's hourly erasure run, every few seconds here, so an operator sees an approved
    // erasure carried out.
    let purger = purger::Purger {
        store: env.store.clone(),
        policy: Default::default(),
    };
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            if let Err(error) = purger.run_erasures(OffsetDateTime::now_utc()).await {
                eprintln!("erasure run: {error}");
            }
        }
    });
    // Serve until whoever started us closes our input (or exits), processing what is
    // uploaded meanwhile (a retoucher's correction) as the uploads queue's consumer would.
    let mut sink = Vec::new();
    let mut stdin = tokio::io::stdin();
    let closed = stdin.read_to_end(&mut sink);
    tokio::pin!(closed);
    loop {
        tokio::select! {
            _ = &mut closed => return Ok(()),
            // Nothing arrived for a minute: keep waiting.
            _ = fns.photos.process(1) => {}
        }
    }
}
