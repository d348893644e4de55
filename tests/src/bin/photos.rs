//! `scripts/load.sh`'s second part: the photo processor fed uploads through the queue, as
//! Lambda feeds it (batches of 5 from the uploads queue), on a stack of its own. Prints photos
//! per second, per second of CPU, the time per photo, and the process's peak memory (the
//! models, the engine's buffers and this harness's own few MB).
//!
//! Argument: `[uploads]` (500).

use std::sync::Arc;
use std::time::Instant;

use aws_lambda_events::event::sqs::SqsEvent;
use localstack::{TestEnv, fixtures};
use photo::{Engine, Profile};
use photo_processor::Processor;
use store::UploadKey;

/// The sample photos that pass (shared/photo/tests/fixtures/pass_*), taken in turn: each runs
/// the whole engine, matte and encoding included, as a refused one does not.
fn samples() -> Vec<Vec<u8>> {
    let dir = localstack::workspace_root().join("shared/photo/tests/fixtures");
    let mut photos: Vec<_> = std::fs::read_dir(dir)
        .expect("the fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("pass_"))
        })
        .map(|p| std::fs::read(p).expect("a fixture"))
        .collect();
    photos.sort_by_key(Vec::len);
    photos
}

/// A field of `/proc/self/status`, in kB.
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// CPU seconds this process used (user + system), from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime, fields 14 and 15 of the line (11 and 12 after the command's name),
    // in clock ticks of 1/100 s on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main]
async fn main() -> Result<(), e2e::Error> {
    let uploads: usize = std::env::args()
        .nth(1)
        .map_or(500, |a| a.parse().expect("a count"));
    let env = TestEnv::new().await;
    let table = &env.store.table;
    let now = time::OffsetDateTime::now_utc();
    let photos = samples();

    // Paid cases of 10 attempts each, their photos put where students' uploads land.
    let s3 = env.store.objects.client();
    let bucket = env.store.objects.buckets().uploads.clone();
    for c in 0..uploads.div_ceil(10) {
        let case =
            fixtures::paid_case(table, &format!("2026{c:06}"), &format!("o-photos-{c}"), now).await;
        for a in 0..10.min(uploads - c * 10) {
            let attempt_id = fixtures::start_attempt(table, case.id, now).await;
            let key = UploadKey::Attempt {
                collection: case.id,
                attempt: attempt_id,
            };
            let photo = &photos[(c * 10 + a) % photos.len()];
            s3.put_object()
                .bucket(&bucket)
                .key(key.to_string())
                .body(photo.clone().into())
                .send()
                .await?;
        }
    }
    eprintln!("photos: {uploads} uploads queued; loading the models");

    let loading = Instant::now();
    let engine = Arc::new(tokio::task::spawn_blocking(Engine::load).await??);
    let load_ms = loading.elapsed().as_secs_f64() * 1000.0;
    let processor = Processor::new(env.store.clone(), engine, Profile::blue());
    let sqs = env.sqs();
    let queue = env.stack.uploads_queue_url.clone();
    let (started, cpu_before) = (Instant::now(), cpu_seconds());
    let mut per_photo = Vec::new();
    let mut done = 0;
    while done < uploads {
        let received = sqs
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(5)
            .wait_time_seconds(2)
            .send()
            .await?;
        let messages: Vec<_> = received
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter(|m| !m.body().unwrap_or_default().contains("s3:TestEvent"))
            .collect();
        if messages.is_empty() {
            continue;
        }
        let event: SqsEvent = serde_json::from_value(localstack::sqs_event(&messages))?;
        let batch = Instant::now();
        let answer = processor.handle(event).await;
        let each = batch.elapsed().as_secs_f64() * 1000.0 / messages.len() as f64;
        per_photo.extend(std::iter::repeat_n(each, messages.len()));
        if !answer.batch_item_failures.is_empty() {
            return Err(format!("{} photos failed", answer.batch_item_failures.len()).into());
        }
        for m in &messages {
            sqs.delete_message()
                .queue_url(&queue)
                .set_receipt_handle(m.receipt_handle.clone())
                .send()
                .await?;
        }
        done += messages.len();
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    per_photo.sort_by(f64::total_cmp);
    let at = |p: f64| per_photo[((per_photo.len() - 1) as f64 * p) as usize];
    println!(
        "\nphoto processor: {done} photos in {wall:.1} s: {:.2} photos/s; {cpu:.1} CPU s: {:.2} photos per CPU second",
        done as f64 / wall,
        done as f64 / cpu
    );
    println!(
        "per photo (batch of 5 / 5, store included): p50 {:.0} ms, p95 {:.0} ms; models loaded in {load_ms:.0} ms; peak RSS {} MB",
        at(0.5),
        at(0.95),
        status_kb("VmHWM:") / 1024
    );
    let report = localstack::consistency::check(&env.dynamodb(), table.name()).await;
    if !report.holds() {
        return Err(format!("inconsistent: {:#?}", report.problems).into());
    }
    Ok(())
}
