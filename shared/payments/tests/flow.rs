//! Payments end to end on moto against a local WeChat Pay (a real HTTP server that checks
//! every request's signature and signs every answer): checkout, the notification, refunds in
//! every outcome, and the reconciler making up for lost notifications.

use std::sync::Arc;

use domain::{
    Actor, AnomalyKind, Collection, CollectionStatus, CollectionTask, Command, EducationLevel,
    OrderStatus, RefundStatus as OurRefundStatus, TransitionError,
};
use localstack::TestEnv;
use localstack::fixtures::open_task;
use localstack::peers::{SignedNotification, WeChatPayPeer};
use payments::{Applied, PaymentError, Payments, Received, Reconciled};
use time::{Duration, OffsetDateTime};
use wechat::pay::{MerchantKey, PayClient, RefundStatus, message};

const APPID: &str = "wx0123456789abcdef";
const MCHID: &str = "1900000109";

struct Harness {
    env: TestEnv,
    peer: WeChatPayPeer,
    payments: Payments,
    case: Collection,
    task: CollectionTask,
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

impl Harness {
    async fn new() -> Self {
        let env = TestEnv::new().await;
        let peer = WeChatPayPeer::start(MCHID, APPID).await;
        let payments = Self::payments_at(&env, &peer, None);
        let task = task(&env.store.table).await;
        let (case, created) = Collection::open(
            task.id,
            "2022001".into(),
            "o-student".into(),
            Actor::Student,
            now(),
        );
        env.store
            .table
            .open_collection(&case, &created)
            .await
            .unwrap();
        Self {
            env,
            peer,
            payments,
            case,
            task,
        }
    }

    /// Payments configured for `peer`, or for a WeChat Pay at `base_url` instead.
    fn payments_at(env: &TestEnv, peer: &WeChatPayPeer, base_url: Option<&str>) -> Payments {
        let mut config = peer.config("https://example.invalid/v1/payments/wechatpay/notify");
        if let Some(url) = base_url {
            config.base_url = url.to_owned();
        }
        let client = PayClient::new(Arc::new(config), localstack::http_client());
        Payments::new(env.store.table.clone(), Arc::new(client))
    }

    async fn case_now(&self) -> Collection {
        self.env.store.table.collection(self.case.id).await.unwrap()
    }

    async fn receive(&self, n: &SignedNotification) -> Result<Received, payments::Rejected> {
        self.payments
            .receive(|name| n.header(name), n.body.as_bytes(), now())
            .await
    }

    /// The order a checkout of the case places, as stored.
    async fn open_order(&self) -> domain::PaymentOrder {
        let checkout = self
            .payments
            .checkout(&self.case_now().await, &self.task, false, now())
            .await
            .unwrap();
        let table = &self.env.store.table;
        table.order(&checkout.order_no).await.unwrap().unwrap()
    }

    async fn commands(&self) -> Vec<String> {
        let events = self.env.store.table.events(self.case.id).await.unwrap();
        events
            .iter()
            .filter_map(|e| e.command.as_ref().map(|c| c.name().to_owned()))
            .collect()
    }

    /// Checkout, then WeChat Pay takes the money and notifies.
    async fn pay(&self) -> String {
        let checkout = self
            .payments
            .checkout(&self.case_now().await, &self.task, false, now())
            .await
            .unwrap();
        let notification = self.peer.pay(&checkout.order_no).unwrap();
        assert_eq!(
            self.receive(&notification).await.unwrap(),
            Received::Applied(Applied::Recorded)
        );
        checkout.order_no
    }
}

#[tokio::test]
async fn checkout_places_one_order_and_signs_the_payment_sheet() {
    let h = Harness::new().await;
    let case = h.case_now().await;
    let first = h
        .payments
        .checkout(&case, &h.task, false, now())
        .await
        .unwrap();
    assert_eq!(first.amount_fen, 3000);
    let p = &first.parameters;
    assert_eq!(
        p.package,
        format!("prepay_id={}", p.package.trim_start_matches("prepay_id="))
    );
    // paySign verifies with the merchant's public key over WeChat's four lines.
    let vars = h.peer.vars("https://example.invalid/notify");
    let var = |name: &str| vars.iter().find(|(n, _)| n == name).unwrap().1.clone();
    let merchant = MerchantKey::from_pem(
        &var("WECHATPAY_MERCHANT_SERIAL"),
        &var("WECHATPAY_MERCHANT_KEY"),
    )
    .unwrap();
    merchant
        .verifying_key()
        .verify(
            &message(&[
                p.app_id.as_bytes(),
                p.time_stamp.as_bytes(),
                p.nonce_str.as_bytes(),
                p.package.as_bytes(),
            ]),
            &p.pay_sign,
        )
        .expect("paySign verifies");

    // Asking again (twice at once, too) gives the same order, placed once at WeChat Pay.
    let (a, b) = tokio::join!(
        h.payments.checkout(&case, &h.task, false, now()),
        h.payments.checkout(&case, &h.task, false, now())
    );
    assert_eq!(a.unwrap().order_no, first.order_no);
    assert_eq!(b.unwrap().order_no, first.order_no);
    let creates = h
        .peer
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v3/pay/transactions/jsapi")
        .inspect(|r| assert!(r.authorized, "an unsigned request: {r:?}"))
        .count();
    assert!(creates >= 1);
    let order = h
        .env
        .store
        .table
        .current_order(case.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.order_no, first.order_no);
    assert!(order.prepay_id.is_some());

    // An order that can no longer be paid in time is closed at WeChat Pay and replaced.
    let later = now() + Duration::minutes(26);
    let replaced = h
        .payments
        .checkout(&case, &h.task, false, later)
        .await
        .unwrap();
    assert_ne!(replaced.order_no, first.order_no);
    let old = h
        .env
        .store
        .table
        .order(&first.order_no)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, OrderStatus::Closed);
    assert!(
        h.peer
            .requests()
            .iter()
            .any(|r| r.path.ends_with(&format!("{}/close", first.order_no)))
    );
}

#[tokio::test]
async fn a_paid_case_pays_no_more_and_the_notification_counts_once() {
    let h = Harness::new().await;
    let order_no = h.pay().await;
    let case = h.case_now().await;
    assert_eq!(case.status, CollectionStatus::AwaitingPhoto);
    assert_eq!(case.payment.as_ref().unwrap().order_no, order_no);
    assert!(matches!(
        h.payments.checkout(&case, &h.task, false, now()).await,
        Err(PaymentError::Refused(TransitionError::AlreadyPaid))
    ));
    // The reconciler, asking later, finds nothing more to do.
    let done = h
        .payments
        .reconcile(now() + Duration::minutes(11))
        .await
        .unwrap();
    assert_eq!(done, Reconciled::default());
    assert_eq!(h.commands().await, ["confirm_payment"]);
}

#[tokio::test]
async fn a_refund_before_approval_returns_the_case_to_awaiting_payment() {
    let h = Harness::new().await;
    let paid_order = h.pay().await;
    let student = Actor::Student;
    let refund = h
        .payments
        .request_refund(h.case.id, student.clone(), Some("不需要了".into()), now())
        .await
        .unwrap();
    assert_eq!(refund.status, OurRefundStatus::Requested);
    // While it is pending nothing builds on the payment, and no second refund is asked.
    let pending = h.case_now().await;
    assert_eq!(
        pending.pending_refund.as_ref().unwrap().refund_no,
        refund.refund_no
    );
    assert!(matches!(
        pending.apply(
            Command::StartAttempt {
                attempt_id: domain::AttemptId::new()
            },
            student.clone(),
            now()
        ),
        Err(TransitionError::RefundPending)
    ));
    assert!(matches!(
        h.payments
            .request_refund(h.case.id, student.clone(), None, now())
            .await,
        Err(PaymentError::Refused(TransitionError::RefundPending))
    ));

    let notification = h
        .peer
        .settle_refund(&refund.refund_no, RefundStatus::Success)
        .unwrap();
    assert_eq!(
        h.receive(&notification).await.unwrap(),
        Received::Applied(Applied::Recorded)
    );
    let case = h.case_now().await;
    assert_eq!(case.status, CollectionStatus::AwaitingPayment);
    assert_eq!(case.refunded_orders, std::slice::from_ref(&paid_order));
    let table = &h.env.store.table;
    assert_eq!(
        table.order(&paid_order).await.unwrap().unwrap().status,
        OrderStatus::Refunded
    );
    assert_eq!(
        table
            .refund(&refund.refund_no)
            .await
            .unwrap()
            .unwrap()
            .status,
        OurRefundStatus::Succeeded
    );

    // The audit trail shows who asked and what WeChat Pay did.
    let events = table.events(h.case.id).await.unwrap();
    let trail: Vec<_> = events
        .iter()
        .filter_map(|e| e.command.as_ref().map(|c| (c.name(), e.actor.clone())))
        .collect();
    assert_eq!(
        trail,
        [
            ("confirm_payment", Actor::PaymentProvider),
            ("request_refund", student),
            ("refund", Actor::PaymentProvider),
        ]
    );

    // Paying again takes a new order.
    let again = h.pay().await;
    assert_ne!(again, paid_order);
    assert_eq!(h.case_now().await.status, CollectionStatus::AwaitingPhoto);
}

#[tokio::test]
async fn a_closed_refund_leaves_the_case_paid_and_an_abnormal_one_alerts_an_operator() {
    let h = Harness::new().await;
    h.pay().await;
    let operator = Actor::Operator("ops-1".into());
    for (status, kept) in [
        (RefundStatus::Closed, OurRefundStatus::Closed),
        (RefundStatus::Abnormal, OurRefundStatus::Abnormal),
    ] {
        let refund = h
            .payments
            .request_refund(h.case.id, operator.clone(), None, now())
            .await
            .unwrap();
        let notification = h.peer.settle_refund(&refund.refund_no, status).unwrap();
        assert_eq!(
            h.receive(&notification).await.unwrap(),
            Received::Applied(Applied::Recorded)
        );
        let case = h.case_now().await;
        assert_eq!(
            (case.status, case.pending_refund.is_none()),
            (CollectionStatus::AwaitingPhoto, true)
        );
        assert!(case.payment.is_some());
        let stored = h
            .env
            .store
            .table
            .refund(&refund.refund_no)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, kept);
    }
    let anomalies = h.env.store.table.anomalies(10).await.unwrap();
    assert_eq!(
        anomalies.iter().map(|a| a.kind).collect::<Vec<_>>(),
        [AnomalyKind::RefundAbnormal]
    );
    assert_eq!(
        h.commands().await,
        [
            "confirm_payment",
            "request_refund",
            "refund_failed",
            "request_refund",
            "refund_failed"
        ]
    );
}

#[tokio::test]
async fn no_refund_after_approval() {
    let h = Harness::new().await;
    h.pay().await;
    let table = &h.env.store.table;
    let a = domain::AttemptId::new();
    let system = Actor::System("test".into());
    for command in [
        Command::StartAttempt { attempt_id: a },
        Command::RecordCheck {
            attempt_id: a,
            outcome: domain::CheckOutcome::Passed {
                review_flags: vec![],
            },
        },
        Command::Submit {
            attempt_id: a,
            face_match: None,
        },
        Command::Approve {
            reviewer: "r-1".into(),
        },
    ] {
        table
            .transition(h.case.id, command, system.clone(), now())
            .await
            .unwrap();
    }
    let refused = h
        .payments
        .request_refund(h.case.id, Actor::Operator("ops-1".into()), None, now())
        .await;
    assert!(
        matches!(
            refused,
            Err(PaymentError::Refused(TransitionError::NotAllowed { .. }))
        ),
        "{refused:?}"
    );
    assert!(
        !h.peer
            .requests()
            .iter()
            .any(|r| r.path == "/v3/refund/domestic/refunds")
    );
}

#[tokio::test]
async fn the_reconciler_makes_up_for_lost_notifications_and_closes_expired_orders() {
    let h = Harness::new().await;
    let table = &h.env.store.table;

    // Paid, but the notification never came.
    let checkout = h
        .payments
        .checkout(&h.case_now().await, &h.task, false, now())
        .await
        .unwrap();
    h.peer.pay(&checkout.order_no).unwrap();
    // Too young: left to its notification.
    assert_eq!(
        h.payments.reconcile(now()).await.unwrap(),
        Reconciled::default()
    );
    let done = h
        .payments
        .reconcile(now() + Duration::minutes(11))
        .await
        .unwrap();
    assert_eq!((done.orders_checked, done.paid), (1, 1));
    assert_eq!(h.case_now().await.status, CollectionStatus::AwaitingPhoto);

    // A refund whose request never reached WeChat Pay (it was down), then whose
    // notification was lost: the reconciler sends it, then settles it.
    let down = Harness::payments_at(&h.env, &h.peer, Some("http://127.0.0.1:9"));
    let refund = down
        .request_refund(h.case.id, Actor::Student, None, now())
        .await
        .unwrap();
    assert_eq!(refund.status, OurRefundStatus::Requested);
    let done = h
        .payments
        .reconcile(now() + Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!((done.refunds_checked, done.refunds_settled), (1, 0));
    h.peer
        .settle_refund(&refund.refund_no, RefundStatus::Success)
        .unwrap();
    let done = h
        .payments
        .reconcile(now() + Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!((done.refunds_checked, done.refunds_settled), (1, 1));
    assert_eq!(h.case_now().await.status, CollectionStatus::AwaitingPayment);

    // An order never paid: closed at WeChat Pay once expired, and locally.
    let unpaid = h
        .payments
        .checkout(&h.case_now().await, &h.task, false, now())
        .await
        .unwrap();
    let done = h
        .payments
        .reconcile(now() + Duration::minutes(31))
        .await
        .unwrap();
    assert_eq!((done.orders_checked, done.closed), (1, 1));
    assert_eq!(
        table.order(&unpaid.order_no).await.unwrap().unwrap().status,
        OrderStatus::Closed
    );
    assert!(
        h.peer
            .requests()
            .iter()
            .any(|r| r.path.ends_with(&format!("{}/close", unpaid.order_no)))
    );
    let later = now() + Duration::days(1);
    assert!(table.open_orders(later, 10).await.unwrap().is_empty());
    assert!(table.pending_refunds(10).await.unwrap().is_empty());
}

/// A report the reconciler cannot take (here our stored amount differs from what was paid)
/// is one anomaly, however many passes ask again, and the order leaves the queue so that it
/// holds no place from orders whose notification was lost.
#[tokio::test]
async fn the_reconciler_keeps_one_anomaly_per_order_and_stops_asking() {
    let h = Harness::new().await;
    let table = &h.env.store.table;
    let mut stored = h.open_order().await;
    let checkout = stored.clone();
    stored.amount_fen += 100;
    table
        .update_order(&stored, OrderStatus::Created)
        .await
        .unwrap();
    h.peer.pay(&checkout.order_no).unwrap();

    let first = h
        .payments
        .reconcile(now() + Duration::minutes(11))
        .await
        .unwrap();
    assert_eq!((first.orders_checked, first.paid), (1, 0));
    let anomalies = table.anomalies(10).await.unwrap();
    assert_eq!(
        anomalies
            .iter()
            .map(|a| (a.kind, a.reference.as_str()))
            .collect::<Vec<_>>(),
        [(AnomalyKind::Mismatch, checkout.order_no.as_str())]
    );
    // Later passes do not ask again, and a notification arriving late adds nothing.
    for minutes in [16, 21, 60] {
        let pass = h
            .payments
            .reconcile(now() + Duration::minutes(minutes))
            .await
            .unwrap();
        assert_eq!(pass.orders_checked, 0);
    }
    let late = h.peer.pay(&checkout.order_no);
    assert!(late.is_none(), "paid once at WeChat Pay");
    assert_eq!(table.anomalies(10).await.unwrap().len(), 1);
    assert_eq!(
        table
            .order(&checkout.order_no)
            .await
            .unwrap()
            .unwrap()
            .status,
        OrderStatus::Created,
        "kept as it was for the operator"
    );
    assert_eq!(h.case_now().await.status, CollectionStatus::AwaitingPayment);
}

/// Young orders (still being paid for) take no place in the reconciler's window: it reads
/// only orders old enough to ask about.
#[tokio::test]
async fn the_reconciler_s_window_holds_only_orders_old_enough_to_ask_about() {
    let h = Harness::new().await;
    let table = &h.env.store.table;
    let old = h.open_order().await;
    // Another case's order, placed twenty minutes later.
    let mut newer = old.clone();
    newer.order_no = format!("{}Y", old.order_no);
    newer.collection_id = domain::CollectionId::new();
    newer.created_at = now() + Duration::minutes(20);
    table.place_order(&newer, None).await.unwrap();
    let window = table
        .open_orders(now() + Duration::minutes(10), 1)
        .await
        .unwrap();
    assert_eq!(
        window
            .iter()
            .map(|o| o.order_no.as_str())
            .collect::<Vec<_>>(),
        [old.order_no.as_str()]
    );
    let later = table
        .open_orders(now() + Duration::minutes(30), 10)
        .await
        .unwrap();
    assert_eq!(later.len(), 2);
}

async fn task(table: &store::Table) -> CollectionTask {
    open_task(table, EducationLevel::Bachelor).await
}
