//! The journey with 5 % of every AWS call failed the ways AWS fails under load (throttling,
//! SlowDown, 500s, connections dropped before or after the write): the case still ends
//! published, once, paid once, its audit trail whole, and nothing left stuck.

use domain::CollectionStatus;
use e2e::Functions;
use localstack::TestEnv;
use localstack::faults::FaultyMoto;
use time::OffsetDateTime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journey_under_five_percent_faults_ends_published_with_nothing_lost_or_doubled() {
    let env = TestEnv::new().await;
    let moto = env.stack_names().endpoint;
    let faulty = FaultyMoto::start(&moto, 0.05, 2026).await;
    let (store, stack) = env.behind(&faulty.endpoint).await;
    let mut fns = Functions::start(&store, &stack).await.unwrap();
    let mut lines = Vec::new();
    let journey = e2e::walk(&mut fns, OffsetDateTime::now_utc(), &mut |l| lines.push(l))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", lines.join("\n")));

    // The seed fixes which of the n-th calls fail: about one in twenty, of every kind, the
    // same in every run that makes as many calls.
    let injected = &faulty.injected;
    let (faults, total) = (injected.faults(), injected.total());
    println!("{faults} of {total} AWS calls failed: {injected:?}");
    let each = [
        &injected.throttled,
        &injected.server_errors,
        &injected.dropped_before,
        &injected.dropped_after,
    ]
    .map(|c| c.load(std::sync::atomic::Ordering::Relaxed));
    assert!(faults >= 8 && each.iter().all(|n| *n >= 1), "{injected:?}");

    // The publisher's next scheduled runs finish what a fault interrupted (a batch delivered
    // whose acknowledgement was lost, say); a few nights at most.
    for _ in 0..3 {
        let case = env
            .store
            .table
            .collection(journey.collection)
            .await
            .unwrap();
        if case.status == CollectionStatus::Published {
            break;
        }
        let summary = fns.publisher.run().await.unwrap();
        println!("publisher again: {summary}");
    }
    println!("{}", lines.join("\n"));

    // Read directly from moto, past the faults.
    let case = env
        .store
        .table
        .collection(journey.collection)
        .await
        .unwrap();
    assert_eq!(case.status, CollectionStatus::Published);
    let report = localstack::consistency::check(&env.dynamodb(), env.store.table.name()).await;
    assert!(report.holds(), "{:#?}", report.problems);
    assert!(report.paid_cases >= 1 && report.events as u64 >= case.version);
    assert!(
        env.store.table.anomalies(10).await.unwrap().is_empty(),
        "no payment was doubled"
    );
}
