//! The rules of DESIGN §2, as examples and as properties over random event sequences.

use domain::collection::MAX_ATTEMPTS;
use domain::{
    Actor, AttemptId, AttemptStatus, BatchId, CheckOutcome, Collection, CollectionStatus, Command,
    ErasureBlocked, Payment, PrintBatchId, PrintStage, ReasonCode, RefundFailure, TaskId,
    TransitionError,
};
use proptest::prelude::*;
use time::OffsetDateTime;
use time::macros::datetime;

use CollectionStatus::*;

const NOW: OffsetDateTime = datetime!(2026-06-01 08:00 UTC);

fn student() -> Actor {
    Actor::Student
}

fn new_case() -> Collection {
    Collection::open(
        TaskId::new(),
        "2022001".into(),
        "o-student".into(),
        student(),
        NOW,
    )
    .0
}

fn payment(order_no: &str) -> Payment {
    Payment {
        order_no: order_no.into(),
        amount_fen: 3000,
        transaction_id: format!("tx-{order_no}"),
        paid_at: NOW,
        print_fen: 0,
    }
}

fn pay(order_no: &str) -> Command {
    Command::ConfirmPayment {
        payment: payment(order_no),
    }
}

fn passed() -> CheckOutcome {
    CheckOutcome::Passed {
        review_flags: vec![],
    }
}

fn rejected(reason: ReasonCode) -> CheckOutcome {
    CheckOutcome::Rejected {
        reasons: vec![reason],
        review_flags: vec![],
    }
}

/// Applies each command in turn, panicking on a refusal.
fn run(mut case: Collection, commands: impl IntoIterator<Item = Command>) -> Collection {
    for command in commands {
        let name = command.name();
        case = case
            .apply(command, Actor::System("test".into()), NOW)
            .unwrap_or_else(|e| panic!("{name} refused: {e}"))
            .next;
    }
    case
}

fn try_apply(case: &Collection, command: Command) -> Result<Collection, TransitionError> {
    case.apply(command, Actor::System("test".into()), NOW)
        .map(|t| t.next)
}

/// A case in review with a passed attempt `a`.
fn in_review(a: AttemptId) -> Collection {
    run(run(new_case(), [pay("GP1")]), to_review(a))
}

/// A paid case's photo `a` uploaded, passed and submitted.
fn to_review(a: AttemptId) -> [Command; 3] {
    [
        Command::StartAttempt { attempt_id: a },
        Command::RecordCheck {
            attempt_id: a,
            outcome: passed(),
        },
        Command::Submit {
            attempt_id: a,
            face_match: None,
        },
    ]
}

fn approve() -> Command {
    Command::Approve {
        reviewer: "r1".into(),
    }
}

fn reject() -> Command {
    Command::Reject {
        reviewer: "r1".into(),
        reasons: vec![ReasonCode::Earrings],
        note: None,
    }
}

#[test]
fn a_new_case_awaits_payment_at_version_one() {
    let (case, event) =
        Collection::open(TaskId::new(), "2022001".into(), "o".into(), student(), NOW);
    assert_eq!(case.status, AwaitingPayment);
    assert_eq!(case.version, 1);
    assert_eq!(
        (event.version, event.from, event.to),
        (1, None, AwaitingPayment)
    );
    assert_eq!(event.kind(), "created");
}

#[test]
fn the_happy_path_ends_published_with_one_event_per_version() {
    let a = AttemptId::new();
    let batch = BatchId::new();
    let mut case = new_case();
    let steps = [
        (pay("GP1"), AwaitingPhoto),
        (Command::StartAttempt { attempt_id: a }, AwaitingPhoto),
        (Command::BeginProcessing { attempt_id: a }, AwaitingPhoto),
        (
            Command::RecordCheck {
                attempt_id: a,
                outcome: passed(),
            },
            AwaitingPhoto,
        ),
        (
            Command::Submit {
                attempt_id: a,
                face_match: None,
            },
            InReview,
        ),
        (approve(), Approved),
        (Command::Batch { batch_id: batch }, Publishing),
        (Command::AcknowledgePublished { batch_id: batch }, Published),
    ];
    for (command, expected) in steps {
        let t = case.apply(command, student(), NOW).unwrap();
        assert_eq!(t.next.status, expected);
        assert_eq!(t.next.version, case.version + 1);
        assert_eq!(t.event.version, t.next.version);
        assert_eq!(t.event.from, Some(case.status));
        assert_eq!(t.event.to, expected);
        assert_eq!(t.expected_version(), case.version);
        case = t.next;
    }
    assert_eq!(case.version, 9);
}

#[test]
fn retake_after_reviewer_rejection_needs_no_payment() {
    let a = AttemptId::new();
    let case = run(in_review(a), [reject()]);
    assert_eq!(case.status, AwaitingPhoto);
    assert!(case.payment.is_some());
    let retake = AttemptId::new();
    let case = run(case, [Command::StartAttempt { attempt_id: retake }]);
    assert_eq!(
        case.attempt(retake).unwrap().status,
        AttemptStatus::Uploaded
    );
    assert_eq!(
        try_apply(&case, pay("GP2")),
        Err(TransitionError::AlreadyPaid)
    );
}

#[test]
fn retake_after_automatic_rejection_needs_no_payment() {
    let a = AttemptId::new();
    let case = run(
        new_case(),
        [
            pay("GP1"),
            Command::StartAttempt { attempt_id: a },
            Command::RecordCheck {
                attempt_id: a,
                outcome: rejected(ReasonCode::Blurry),
            },
            Command::StartAttempt {
                attempt_id: AttemptId::new(),
            },
        ],
    );
    assert_eq!(case.attempts.len(), 2);
    assert_eq!(
        case.attempt(a).unwrap().status,
        AttemptStatus::Rejected {
            reasons: vec![ReasonCode::Blurry]
        }
    );
}

#[test]
fn only_a_passed_attempt_can_be_submitted() {
    let a = AttemptId::new();
    let paid = run(
        new_case(),
        [pay("GP1"), Command::StartAttempt { attempt_id: a }],
    );
    assert_eq!(
        try_apply(
            &paid,
            Command::Submit {
                attempt_id: a,
                face_match: None
            }
        ),
        Err(TransitionError::AttemptNotPassed(a))
    );
    let refused = run(
        paid.clone(),
        [Command::RecordCheck {
            attempt_id: a,
            outcome: rejected(ReasonCode::EyesClosed),
        }],
    );
    assert_eq!(
        try_apply(
            &refused,
            Command::Submit {
                attempt_id: a,
                face_match: None
            }
        ),
        Err(TransitionError::AttemptNotPassed(a))
    );
    let stranger = AttemptId::new();
    assert_eq!(
        try_apply(
            &paid,
            Command::Submit {
                attempt_id: stranger,
                face_match: None
            }
        ),
        Err(TransitionError::UnknownAttempt(stranger))
    );
}

#[test]
fn uploads_need_payment_first() {
    assert!(matches!(
        try_apply(
            &new_case(),
            Command::StartAttempt {
                attempt_id: AttemptId::new()
            }
        ),
        Err(TransitionError::NotAllowed {
            status: AwaitingPayment,
            ..
        })
    ));
}

#[test]
fn an_approved_photo_is_locked() {
    let a = AttemptId::new();
    let batch = BatchId::new();
    let approved = run(in_review(a), [approve()]);
    let publishing = run(approved.clone(), [Command::Batch { batch_id: batch }]);
    let published = run(
        publishing.clone(),
        [Command::AcknowledgePublished { batch_id: batch }],
    );
    for case in [&approved, &publishing, &published] {
        for command in [
            Command::StartAttempt {
                attempt_id: AttemptId::new(),
            },
            Command::Refund {
                order_no: "GP1".into(),
            },
            pay("GP2"),
            Command::BeginProcessing { attempt_id: a },
            Command::RecordCheck {
                attempt_id: a,
                outcome: passed(),
            },
            reject(),
            approve(),
            Command::Submit {
                attempt_id: a,
                face_match: None,
            },
        ] {
            let name = command.name();
            assert!(
                try_apply(case, command).is_err(),
                "{name} changed a {} case",
                case.status
            );
        }
    }
}

#[test]
fn a_withdrawn_photo_returns_the_case_to_taking_photos_paid_and_audited() {
    let a = AttemptId::new();
    let case = in_review(a);
    let t = case.apply(Command::Withdraw, student(), NOW).unwrap();
    assert_eq!(t.next.status, AwaitingPhoto);
    assert_eq!(t.next.submitted_attempt, None);
    assert_eq!(t.next.face_match, None);
    assert!(t.next.payment.is_some(), "no payment is asked again");
    assert_eq!(t.next.attempt(a).unwrap().status, AttemptStatus::Passed);
    assert_eq!(t.event.command, Some(Command::Withdraw));
    assert_eq!(t.event.actor, student());
    // The same photo again, or a new one; nothing to withdraw outside review.
    let back = run(
        t.next.clone(),
        [Command::Submit {
            attempt_id: a,
            face_match: None,
        }],
    );
    assert_eq!(back.status, InReview);
    assert!(matches!(
        try_apply(&t.next, Command::Withdraw),
        Err(TransitionError::NotAllowed {
            command: "withdraw",
            status: AwaitingPhoto
        })
    ));
    let approved = run(in_review(a), [approve()]);
    assert!(try_apply(&approved, Command::Withdraw).is_err());
}

#[test]
fn a_retouched_photo_comes_back_to_review_and_a_new_submission_starts_clean() {
    let a = AttemptId::new();
    let case = in_review(a);
    let send = |note: &str| Command::SendToRetouch {
        reviewer: "reviewer-1".into(),
        note: note.into(),
    };
    assert!(matches!(
        try_apply(&case, send("  ")),
        Err(TransitionError::NoNote)
    ));
    let long = "修".repeat(201);
    assert!(matches!(
        try_apply(&case, send(&long)),
        Err(TransitionError::NoteTooLong)
    ));
    let sent = run(case, [send("衣领被背景色染蓝，请修正")]);
    assert_eq!(sent.status, Retouching);
    assert_eq!(
        sent.retouch.as_ref().unwrap().note,
        "衣领被背景色染蓝，请修正"
    );
    let retouched = Command::Retouched {
        retoucher: "retoucher-1".into(),
        sha256: "ab".repeat(32),
    };
    let back = run(sent, [retouched.clone()]);
    assert_eq!(back.status, InReview);
    assert_eq!(back.submitted_attempt, Some(a));
    let photo = back.retouch.as_ref().unwrap().retouched.as_ref().unwrap();
    assert_eq!(
        (photo.retoucher.as_str(), photo.sha256.len()),
        ("retoucher-1", 64)
    );
    // The processor's message again is a duplicate; the reviewer decides on it as on any.
    assert!(try_apply(&back, retouched).unwrap_err().is_duplicate());
    let approved = run(back, [approve()]);
    assert_eq!(approved.status, Approved);
    assert!(
        approved.retouch.is_some(),
        "publication takes the retouched photo"
    );
}

#[test]
fn a_photo_the_reviewer_rejected_cannot_be_submitted_again() {
    let a = AttemptId::new();
    let case = run(in_review(a), [reject()]);
    assert_eq!(
        case.attempt(a).unwrap().status,
        AttemptStatus::Rejected {
            reasons: vec![ReasonCode::Earrings]
        }
    );
    assert_eq!(
        try_apply(
            &case,
            Command::Submit {
                attempt_id: a,
                face_match: None
            }
        ),
        Err(TransitionError::AttemptNotPassed(a))
    );
}

#[test]
fn a_late_notice_of_a_refunded_order_after_paying_again_is_a_duplicate() {
    let case = run(
        new_case(),
        [
            pay("GP1"),
            Command::Refund {
                order_no: "GP1".into(),
            },
            pay("GP2"),
        ],
    );
    let err = try_apply(&case, pay("GP1")).unwrap_err();
    assert!(err.is_duplicate(), "{err:?}");
}

#[test]
fn refund_before_approval_returns_the_case_to_awaiting_payment() {
    let a = AttemptId::new();
    let case = run(
        in_review(a),
        [Command::Refund {
            order_no: "GP1".into(),
        }],
    );
    assert_eq!(case.status, AwaitingPayment);
    assert_eq!(case.payment, None);
    assert_eq!(case.submitted_attempt, None);
    // A late copy of the refunded order's notification must not mark the case paid again.
    assert_eq!(
        try_apply(&case, pay("GP1")),
        Err(TransitionError::AlreadyApplied)
    );
    // A new order may be paid.
    assert_eq!(try_apply(&case, pay("GP2")).unwrap().status, AwaitingPhoto);
}

fn request_refund(refund_no: &str) -> Command {
    Command::RequestRefund {
        order_no: "GP1".into(),
        refund_no: refund_no.into(),
    }
}

#[test]
fn a_pending_refund_holds_the_case_until_wechat_pay_settles_it() {
    let a = AttemptId::new();
    let pending = run(in_review(a), [request_refund("RF1")]);
    assert_eq!(pending.status, InReview);
    assert_eq!(pending.pending_refund.as_ref().unwrap().refund_no, "RF1");
    // The money may be on its way back: no approval, no new photo, no second request.
    assert_eq!(
        try_apply(&pending, approve()),
        Err(TransitionError::RefundPending)
    );
    assert_eq!(
        try_apply(&pending, request_refund("RF2")),
        Err(TransitionError::RefundPending)
    );
    assert_eq!(
        try_apply(&pending, request_refund("RF1")),
        Err(TransitionError::AlreadyApplied)
    );

    // Closed: the payment stands and the review goes on.
    let closed = run(
        pending.clone(),
        [Command::RefundFailed {
            refund_no: "RF1".into(),
            failure: RefundFailure::Closed,
        }],
    );
    assert_eq!(
        (closed.status, closed.pending_refund.clone()),
        (InReview, None)
    );
    assert_eq!(try_apply(&closed, approve()).unwrap().status, Approved);

    // Succeeded: back to paying, the pending refund settled.
    let refunded = run(
        pending,
        [Command::Refund {
            order_no: "GP1".into(),
        }],
    );
    assert_eq!(refunded.status, AwaitingPayment);
    assert_eq!(refunded.pending_refund, None);
}

#[test]
fn no_refund_is_asked_for_after_approval_or_before_payment() {
    let a = AttemptId::new();
    let approved = run(in_review(a), [approve()]);
    assert!(matches!(
        try_apply(&approved, request_refund("RF1")),
        Err(TransitionError::NotAllowed { .. })
    ));
    assert!(matches!(
        try_apply(&new_case(), request_refund("RF1")),
        Err(TransitionError::NotAllowed { .. })
    ));
}

#[test]
fn refund_of_another_order_is_refused() {
    let case = run(new_case(), [pay("GP1")]);
    assert_eq!(
        try_apply(
            &case,
            Command::Refund {
                order_no: "GP9".into()
            }
        ),
        Err(TransitionError::OtherOrder {
            order_no: "GP9".into()
        })
    );
}

#[test]
fn a_redelivered_payment_is_recognised_as_a_duplicate() {
    let case = run(new_case(), [pay("GP1")]);
    let err = try_apply(&case, pay("GP1")).unwrap_err();
    assert_eq!(err, TransitionError::AlreadyApplied);
    assert!(err.is_duplicate());
    let other = try_apply(&case, pay("GP2")).unwrap_err();
    assert_eq!(other, TransitionError::AlreadyPaid);
    assert!(!other.is_duplicate());
}

#[test]
fn a_rejection_needs_a_reason_and_a_short_note() {
    let case = in_review(AttemptId::new());
    let with = |reasons: Vec<ReasonCode>, note: Option<String>| {
        try_apply(
            &case,
            Command::Reject {
                reviewer: "r".into(),
                reasons,
                note,
            },
        )
    };
    assert_eq!(with(vec![], None), Err(TransitionError::NoReasons));
    assert_eq!(
        with(vec![ReasonCode::Necklace], Some("长".repeat(201))),
        Err(TransitionError::NoteTooLong)
    );
    assert!(with(vec![ReasonCode::Necklace], Some("长".repeat(200))).is_ok());
}

#[test]
fn attempts_are_bounded() {
    let mut case = run(new_case(), [pay("GP1")]);
    for _ in 0..MAX_ATTEMPTS {
        case = run(
            case,
            [Command::StartAttempt {
                attempt_id: AttemptId::new(),
            }],
        );
    }
    assert_eq!(
        try_apply(
            &case,
            Command::StartAttempt {
                attempt_id: AttemptId::new()
            }
        ),
        Err(TransitionError::TooManyAttempts { max: MAX_ATTEMPTS })
    );
}

#[test]
fn publishing_is_acknowledged_only_for_the_case_batch() {
    let case = run(in_review(AttemptId::new()), [approve()]);
    let batch = BatchId::new();
    let publishing = run(case, [Command::Batch { batch_id: batch }]);
    let other = BatchId::new();
    assert_eq!(
        try_apply(
            &publishing,
            Command::AcknowledgePublished { batch_id: other }
        ),
        Err(TransitionError::OtherBatch { given: other })
    );
    let published = run(
        publishing,
        [Command::AcknowledgePublished { batch_id: batch }],
    );
    assert_eq!(
        try_apply(
            &published,
            Command::AcknowledgePublished { batch_id: batch }
        ),
        Err(TransitionError::AlreadyApplied)
    );
}

fn approved_with_prints() -> Collection {
    let a = AttemptId::new();
    let paid = run(
        new_case(),
        [Command::ConfirmPayment {
            payment: Payment {
                amount_fen: 4500,
                print_fen: 1500,
                ..payment("GP1")
            },
        }],
    );
    let case = run(paid, to_review(a));
    assert_eq!(
        case.print.as_ref().map(|p| p.stage()),
        Some(PrintStage::Ordered)
    );
    run(case, [approve()])
}

fn ship(tracking_no: &str) -> Command {
    Command::Shipped {
        courier: "顺丰速运".into(),
        tracking_no: tracking_no.into(),
    }
}

#[test]
fn prints_paid_with_the_case_are_printed_shipped_and_delivered_after_approval_only() {
    let batch = PrintBatchId::new();
    let printed = Command::Printed { batch_id: batch };
    // Nothing is printed before the photo is approved.
    let in_review = in_review(AttemptId::new());
    assert_eq!(
        try_apply(&in_review, printed.clone()),
        Err(TransitionError::NoPrintOrder)
    );
    let approved = approved_with_prints();
    assert_eq!(
        try_apply(&approved, ship("SF1000000001")),
        Err(TransitionError::PrintNotReady { needed: "printed" })
    );
    assert_eq!(
        try_apply(&approved, Command::Delivered),
        Err(TransitionError::PrintNotReady { needed: "shipped" })
    );
    let done = run(
        approved,
        [printed.clone(), ship(" sf1000000001 "), Command::Delivered],
    );
    let print = done.print.as_ref().unwrap();
    assert_eq!(print.stage(), PrintStage::Delivered);
    assert_eq!(print.shipped.as_ref().unwrap().tracking_no, "SF1000000001");
    assert_eq!(done.status, Approved, "printing never moves the case");
    // Replays are duplicates; a second batch would be a second parcel.
    for again in [printed, ship("SF1000000001"), Command::Delivered] {
        assert_eq!(
            try_apply(&done, again),
            Err(TransitionError::AlreadyApplied)
        );
    }
    assert!(matches!(
        try_apply(
            &done,
            Command::Printed {
                batch_id: PrintBatchId::new()
            }
        ),
        Err(TransitionError::NotAllowed { .. })
    ));
}

#[test]
fn a_tracking_number_is_letters_and_digits_and_can_be_corrected_before_delivery() {
    let printed = run(
        approved_with_prints(),
        [Command::Printed {
            batch_id: PrintBatchId::new(),
        }],
    );
    // Printed in one batch only.
    assert!(matches!(
        try_apply(
            &printed,
            Command::Printed {
                batch_id: PrintBatchId::new()
            }
        ),
        Err(TransitionError::NotAllowed { .. })
    ));
    for bad in ["SF-1000000001", "1234567", "=HYPERLINK(\"x\")"] {
        assert!(
            matches!(
                try_apply(&printed, ship(bad)),
                Err(TransitionError::Invalid {
                    field: "tracking_no",
                    ..
                })
            ),
            "{bad}"
        );
    }
    let corrected = run(printed, [ship("SF1000000001"), ship("SF1000000002")]);
    let shipment = corrected.print.unwrap().shipped.unwrap();
    assert_eq!(shipment.tracking_no, "SF1000000002");
}

#[test]
fn a_refund_takes_the_prints_back_with_the_case() {
    let paid = run(
        new_case(),
        [Command::ConfirmPayment {
            payment: Payment {
                print_fen: 1500,
                ..payment("GP1")
            },
        }],
    );
    assert!(paid.print.is_some());
    let refunded = run(
        paid,
        [
            request_refund("RF1"),
            Command::Refund {
                order_no: "GP1".into(),
            },
        ],
    );
    assert_eq!(refunded.print, None);
}

#[test]
fn a_student_erased_while_nothing_waits_on_their_data_leaves_an_ownerless_case() {
    let blocked = |case: &Collection| case.erasable().err();
    let a = AttemptId::new();
    let review = in_review(a);
    assert_eq!(blocked(&review), Some(ErasureBlocked::InReview));
    assert_eq!(
        try_apply(&review, Command::Erase),
        Err(TransitionError::ErasureBlocked(ErasureBlocked::InReview))
    );
    let approved = run(review.clone(), [approve()]);
    assert_eq!(
        blocked(&approved),
        Some(ErasureBlocked::AwaitingPublication)
    );
    let batch = BatchId::new();
    let published = run(
        approved,
        [
            Command::Batch { batch_id: batch },
            Command::AcknowledgePublished { batch_id: batch },
        ],
    );
    let erased = try_apply(&published, Command::Erase).unwrap();
    assert!(erased.is_erased() && !published.is_erased());
    assert_eq!(erased.status, Published);
    assert_eq!(
        (&erased.attempts, &erased.payment),
        (&published.attempts, &published.payment)
    );
    assert_eq!(
        try_apply(&erased, Command::Erase),
        Err(TransitionError::AlreadyApplied)
    );
    // No one can act on it as its student any more: not even its former owner.
    let transfer = Command::Transfer {
        from: "o-student".into(),
        to: "o-new".into(),
        reason: "换了微信号".into(),
    };
    assert_eq!(
        try_apply(&erased, transfer),
        Err(TransitionError::OtherOwner)
    );

    let refunding = run(run(new_case(), [pay("GP1")]), [request_refund("RF1")]);
    assert_eq!(blocked(&refunding), Some(ErasureBlocked::RefundPending));
    // A photo being checked: what the check writes would outlive the erasure.
    let checking = run(
        run(new_case(), [pay("GP1")]),
        [
            Command::StartAttempt { attempt_id: a },
            Command::BeginProcessing { attempt_id: a },
        ],
    );
    assert_eq!(blocked(&checking), Some(ErasureBlocked::PhotoBeingChecked));
    // Unpaid, or paid and no photo yet: nothing waits.
    assert_eq!(blocked(&new_case()), None);
    assert_eq!(blocked(&run(new_case(), [pay("GP1")])), None);
}

#[test]
fn paid_prints_hold_the_erasure_until_they_are_delivered() {
    let batch = BatchId::new();
    let published = run(
        approved_with_prints(),
        [
            Command::Batch { batch_id: batch },
            Command::AcknowledgePublished { batch_id: batch },
        ],
    );
    assert_eq!(published.erasable(), Err(ErasureBlocked::PrintsPending));
    let delivered = run(
        published,
        [
            Command::Printed {
                batch_id: PrintBatchId::new(),
            },
            ship("SF1234567890"),
            Command::Delivered,
        ],
    );
    assert_eq!(delivered.erasable(), Ok(()));
}

#[test]
fn the_audit_trail_names_no_student_account() {
    let case = new_case();
    let transfer = Command::Transfer {
        from: "o-student".into(),
        to: "o-new".into(),
        reason: "换了微信号".into(),
    };
    let paid = case.apply(pay("GP1"), student(), NOW).unwrap();
    let moved = paid
        .next
        .apply(transfer, Actor::Operator("op-1".into()), NOW)
        .unwrap();
    for event in [&paid.event, &moved.event] {
        let stored = serde_json::to_string(event).unwrap();
        assert!(
            !stored.contains("o-student") && !stored.contains("o-new"),
            "{stored}"
        );
    }
    let stored = serde_json::to_value(&moved.event).unwrap();
    assert_eq!(stored["command"]["reason"], "换了微信号");
    let read: domain::Event =
        serde_json::from_str(&serde_json::to_string(&paid.event).unwrap()).unwrap();
    assert_eq!(read, paid.event);
    // Events written before the trail was anonymous name the openid: it is dropped on reading.
    let mut legacy = serde_json::to_value(&paid.event).unwrap();
    legacy["actor"] = serde_json::json!({"kind": "student", "id": "o-student"});
    let read: domain::Event = serde_json::from_value(legacy).unwrap();
    assert_eq!(read.actor, Actor::Student);
    assert!(!format!("{read:?}").contains("o-student"));
}

// ---- properties over random event sequences ----

/// Commands drawn from a small pool of ids, so that duplicates, stale and out-of-order
/// messages are frequent.
#[derive(Debug, Clone)]
enum Step {
    Pay(u8),
    RequestRefund(u8, u8),
    Refund(u8),
    RefundFailed(u8),
    Start(u8),
    Begin(u8),
    Check(u8, bool),
    Submit(u8),
    Withdraw,
    SendToRetouch,
    Retouched(u8),
    Approve,
    Reject,
    Batch(u8),
    Ack(u8),
    Printed(u8),
    Shipped(u8),
    Delivered,
    /// To the other of two accounts: `true` from the first to the second.
    Transfer(bool),
    Erase,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3u8).prop_map(Step::Pay),
        (0..3u8, 0..2u8).prop_map(|(o, r)| Step::RequestRefund(o, r)),
        (0..3u8).prop_map(Step::Refund),
        (0..2u8).prop_map(Step::RefundFailed),
        (0..4u8).prop_map(Step::Start),
        (0..4u8).prop_map(Step::Begin),
        (0..4u8, any::<bool>()).prop_map(|(a, ok)| Step::Check(a, ok)),
        (0..4u8).prop_map(Step::Submit),
        Just(Step::Withdraw),
        Just(Step::SendToRetouch),
        (0..2u8).prop_map(Step::Retouched),
        Just(Step::Approve),
        Just(Step::Reject),
        (0..2u8).prop_map(Step::Batch),
        (0..2u8).prop_map(Step::Ack),
        (0..2u8).prop_map(Step::Printed),
        (0..2u8).prop_map(Step::Shipped),
        Just(Step::Delivered),
        any::<bool>().prop_map(Step::Transfer),
        Just(Step::Erase),
    ]
}

struct Pool {
    attempts: Vec<AttemptId>,
    batches: Vec<BatchId>,
    print_batches: Vec<PrintBatchId>,
}

impl Pool {
    fn new() -> Self {
        Self {
            attempts: (0..4).map(|_| AttemptId::new()).collect(),
            batches: (0..2).map(|_| BatchId::new()).collect(),
            print_batches: (0..2).map(|_| PrintBatchId::new()).collect(),
        }
    }

    fn command(&self, step: &Step) -> Command {
        let a = |i: &u8| self.attempts[*i as usize];
        match step {
            // Order GP2 pays for prints too.
            Step::Pay(o) => Command::ConfirmPayment {
                payment: Payment {
                    print_fen: if *o == 2 { 1500 } else { 0 },
                    ..payment(&format!("GP{o}"))
                },
            },
            Step::Printed(b) => Command::Printed {
                batch_id: self.print_batches[*b as usize],
            },
            Step::Shipped(t) => Command::Shipped {
                courier: "顺丰速运".into(),
                tracking_no: format!("SF10000000{t}"),
            },
            Step::Delivered => Command::Delivered,
            Step::RequestRefund(o, r) => Command::RequestRefund {
                order_no: format!("GP{o}"),
                refund_no: format!("RF{r}"),
            },
            Step::Refund(o) => Command::Refund {
                order_no: format!("GP{o}"),
            },
            Step::RefundFailed(r) => Command::RefundFailed {
                refund_no: format!("RF{r}"),
                failure: RefundFailure::Closed,
            },
            Step::Start(i) => Command::StartAttempt { attempt_id: a(i) },
            Step::Begin(i) => Command::BeginProcessing { attempt_id: a(i) },
            Step::Check(i, ok) => Command::RecordCheck {
                attempt_id: a(i),
                outcome: if *ok {
                    passed()
                } else {
                    rejected(ReasonCode::Blurry)
                },
            },
            Step::Submit(i) => Command::Submit {
                attempt_id: a(i),
                face_match: None,
            },
            Step::Withdraw => Command::Withdraw,
            Step::SendToRetouch => Command::SendToRetouch {
                reviewer: "reviewer-1".into(),
                note: "衣领偏蓝，请修正".into(),
            },
            Step::Retouched(v) => Command::Retouched {
                retoucher: "retoucher-1".into(),
                sha256: format!("{v:064}"),
            },
            Step::Approve => approve(),
            Step::Reject => reject(),
            Step::Batch(b) => Command::Batch {
                batch_id: self.batches[*b as usize],
            },
            Step::Ack(b) => Command::AcknowledgePublished {
                batch_id: self.batches[*b as usize],
            },
            Step::Transfer(forward) => {
                let (from, to) = if *forward {
                    ("o-student", "o-new")
                } else {
                    ("o-new", "o-student")
                };
                Command::Transfer {
                    from: from.into(),
                    to: to.into(),
                    reason: "换了微信号".into(),
                }
            }
            Step::Erase => Command::Erase,
        }
    }
}

/// The edges of the diagram in DESIGN §2. Self-loops are attempt-level changes: a check
/// result may arrive after a refund, or during review or retouching, for a photo uploaded
/// before.
fn is_edge(from: CollectionStatus, to: CollectionStatus) -> bool {
    matches!(
        (from, to),
        (AwaitingPayment, AwaitingPayment)
            | (AwaitingPayment, AwaitingPhoto)
            | (AwaitingPhoto, AwaitingPhoto)
            | (InReview, InReview)
            | (Retouching, Retouching)
            | (AwaitingPhoto, InReview)
            | (AwaitingPhoto, AwaitingPayment)
            | (InReview, AwaitingPayment)
            | (InReview, AwaitingPhoto)
            | (InReview, Approved)
            | (InReview, Retouching)
            | (Retouching, InReview)
            | (Retouching, AwaitingPayment)
            | (Approved, Publishing)
            | (Publishing, Published)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn invariants_hold_for_any_sequence_of_events(steps in prop::collection::vec(step(), 1..60)) {
        let pool = Pool::new();
        let mut case = new_case();
        let mut payments_held: i32 = 0;
        let mut reached_approval = false;

        for step in &steps {
            let command = pool.command(step);
            let before = case.clone();
            let Ok(t) = case.apply(command.clone(), student(), NOW) else {
                continue;
            };
            let after = t.next.clone();

            // Every accepted command is one version and one matching audit event.
            prop_assert_eq!(after.version, before.version + 1);
            prop_assert_eq!(t.event.version, after.version);
            prop_assert_eq!(t.event.from, Some(before.status));
            prop_assert_eq!(t.event.to, after.status);
            prop_assert_eq!(t.event.command.as_ref(), Some(&command));

            // No transition outside the diagram; nothing goes back from approval.
            // A transfer changes the owner only, in any state but review.
            // Printing moves the print order only.
            let transfer = matches!(command, Command::Transfer { .. } | Command::Erase);
            let printing = matches!(command, Command::Printed { .. } | Command::Shipped { .. } | Command::Delivered);
            let edge = is_edge(before.status, after.status) || ((transfer || printing) && before.status == after.status);
            prop_assert!(edge, "{:?} -> {:?}", before.status, after.status);
            if before.status.is_locked() {
                let publishing = matches!(command, Command::Batch { .. } | Command::AcknowledgePublished { .. });
                prop_assert!(publishing || printing || transfer, "{} changed a locked case", command.name());
                prop_assert_eq!(&after.attempts, &before.attempts);
                prop_assert_eq!(&after.payment, &before.payment);
                prop_assert_eq!(&after.review, &before.review);
            }

            // Payment is taken at most once: never twice without a refund in between.
            match command {
                Command::ConfirmPayment { .. } => payments_held += 1,
                Command::Refund { .. } => payments_held -= 1,
                _ => {}
            }
            prop_assert!((0..=1).contains(&payments_held));
            prop_assert_eq!(after.payment.is_some(), payments_held == 1);

            // Nothing builds on a payment that may be on its way back.
            if before.pending_refund.is_some() {
                let builds = matches!(command, Command::StartAttempt { .. } | Command::Submit { .. } | Command::Approve { .. });
                prop_assert!(!builds, "{} accepted during a refund", command.name());
            }
            if let Some(pending) = &after.pending_refund {
                prop_assert_eq!(Some(&pending.order_no), after.payment.as_ref().map(|p| &p.order_no));
            }

            // A case knows when it was published exactly when it is (retention counts from it).
            prop_assert_eq!(after.published_at.is_some(), after.status == Published);

            // Prints exist exactly when a payment paid for them, move forward only, only for
            // an approved photo, and never move the case.
            let paid_prints = after.payment.as_ref().is_some_and(|p| p.print_fen > 0);
            prop_assert_eq!(after.print.is_some(), paid_prints);
            if printing {
                prop_assert!(before.status.is_locked(), "{} before approval", command.name());
                prop_assert_eq!(after.status, before.status);
                prop_assert_eq!(&after.payment, &before.payment);
                let (was, now) = (before.print.as_ref().unwrap(), after.print.as_ref().unwrap());
                prop_assert!(now.stage() >= was.stage(), "{:?} -> {:?}", was.stage(), now.stage());
                if was.printed.is_some() {
                    prop_assert_eq!(&now.printed, &was.printed, "printed in two batches");
                }
                if matches!(command, Command::Delivered) {
                    prop_assert!(was.shipped.is_some());
                }
            } else if let (Some(was), Some(now)) = (&before.print, &after.print) {
                prop_assert_eq!(was, now);
            }

            // A case changes hands only by a transfer from its owner, never under review, and
            // nothing but the owner changes with it.
            if let Command::Transfer { from, to, .. } = &command {
                prop_assert_eq!(&before.owner, from);
                prop_assert_eq!(&after.owner, to);
                prop_assert!(!before.status.is_under_review());
                prop_assert_eq!(after.status, before.status);
                prop_assert_eq!(&after.attempts, &before.attempts);
                prop_assert_eq!(&after.payment, &before.payment);
            } else if matches!(command, Command::Erase) {
                // Erasure names no owner from then on, and only where nothing waits on the
                // student's data: no review, no publication, no refund, no undelivered prints.
                prop_assert!(before.erasable().is_ok());
                prop_assert!(!before.status.is_under_review() && !matches!(before.status, Approved | Publishing));
                prop_assert!(before.pending_refund.is_none());
                prop_assert!(after.is_erased());
                prop_assert_eq!(after.status, before.status);
                prop_assert_eq!(&after.attempts, &before.attempts);
                prop_assert_eq!(&after.payment, &before.payment);
                prop_assert_eq!(&after.print, &before.print);
            } else {
                prop_assert_eq!(&after.owner, &before.owner);
            }

            // Only a passed attempt can be submitted.
            if let Command::Submit { attempt_id, .. } = &command {
                prop_assert_eq!(&before.attempt(*attempt_id).unwrap().status, &AttemptStatus::Passed);
            }

            // A withdrawal is from review only, back to taking photos, paid, and the photo it
            // took back may be submitted again as it is.
            if matches!(command, Command::Withdraw) {
                prop_assert_eq!(before.status, InReview);
                prop_assert_eq!(after.status, AwaitingPhoto);
                prop_assert_eq!(&after.payment, &before.payment);
                prop_assert_eq!(&after.attempts, &before.attempts);
                prop_assert_eq!(after.submitted_attempt, None);
                let taken_back = before.submitted_attempt.unwrap();
                if after.pending_refund.is_none() {
                    let again = after.apply(Command::Submit { attempt_id: taken_back, face_match: None }, student(), NOW);
                    prop_assert!(again.is_ok(), "resubmission refused: {:?}", again.err());
                }
            }

            // Retouching takes the submitted photo out of review and brings it back, retouched,
            // still the same submission, still paid; nothing else comes out of it.
            if let Command::SendToRetouch { .. } = &command {
                prop_assert_eq!(before.status, InReview);
                prop_assert_eq!(after.status, Retouching);
                prop_assert_eq!(after.submitted_attempt, before.submitted_attempt);
                prop_assert_eq!(after.retouch.as_ref().map(|r| r.attempt_id), before.submitted_attempt);
            }
            if let Command::Retouched { sha256, .. } = &command {
                prop_assert_eq!(before.status, Retouching);
                prop_assert_eq!(after.status, InReview);
                prop_assert_eq!(after.submitted_attempt, before.submitted_attempt);
                let photo = after.retouch.as_ref().and_then(|r| r.retouched.as_ref());
                prop_assert_eq!(photo.map(|p| &p.sha256), Some(sha256));
                prop_assert!(after.payment.is_some() || before.payment.is_none());
            }
            if after.status == Retouching {
                let withdraw = after.apply(Command::Withdraw, student(), NOW);
                prop_assert!(withdraw.is_err(), "withdrawn from a retoucher");
                prop_assert!(after.apply(approve(), student(), NOW).is_err(), "approved unseen");
            }

            // After any rejection a retake is possible without paying again.
            let auto_rejected = matches!(&command, Command::RecordCheck { outcome: CheckOutcome::Rejected { .. }, .. });
            if matches!(command, Command::Reject { .. }) || (auto_rejected && after.status == AwaitingPhoto) {
                prop_assert!(after.payment.is_some());
                if after.attempts.len() < MAX_ATTEMPTS && after.pending_refund.is_none() {
                    let retake = after.apply(Command::StartAttempt { attempt_id: AttemptId::new() }, student(), NOW);
                    prop_assert!(retake.is_ok(), "retake refused: {:?}", retake.err());
                }
            }

            // The same message delivered again never changes anything, and at-least-once
            // consumers can tell it was a redelivery (reviewer decisions and withdrawals are
            // people's requests, not messages).
            let again = after.apply(command.clone(), student(), NOW);
            prop_assert!(again.is_err());
            let request = matches!(
                command,
                Command::Approve { .. } | Command::Reject { .. } | Command::Withdraw | Command::SendToRetouch { .. }
            );
            if !request {
                let err = again.unwrap_err();
                prop_assert!(err.is_duplicate(), "{} again: {:?}", command.name(), err);
            }

            reached_approval |= after.status.is_locked();
            prop_assert!(!reached_approval || after.status.is_locked());
            case = after;
        }
    }
}
