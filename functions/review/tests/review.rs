//! The review function on moto, through its real handler: leases, decisions, the reviewer's
//! view of a case and the operators' report. Cases are brought to review through the store
//! the way the API and the photo processor bring them.

use domain::{
    Actor, AttemptId, CardText, Collection, CollectionStatus, CollectionTask, Command,
    EducationLevel, Enrollment, FaceGap, FaceMatch, IdNumber, Lease, Portrait, PortraitId,
    PortraitStatus, ReasonCode, Student, VerifiedIdentity,
};
use lambda_http::Body;
use lambda_http::http::{Method, Request};
use localstack::fixtures::{Submission, live_through, open_task, paid_to_submitted};
use localstack::{Answer, TestEnv};
use review::App;
use review::console::Console;
use serde_json::{Value, json};
use store::{Checked, Digest, FaceOf, PortraitChecked, UploadKey};
use time::{Duration, OffsetDateTime};
use web::{Principal, Role, Tokens};

const SECRET: &[u8] = b"a test session secret of 32+ bytes, not for production";
const ORIGINAL: &[u8] =
    include_bytes!("../../../shared/photo/tests/fixtures/pass_frontal_woman_02.jpg");
const STANDARDISED: &[u8] = b"\xFF\xD8\xFF standardised";

/// Student `n`'s ID number: one person, one number.
fn student_id_number(n: u32) -> IdNumber {
    let body = format!("44010620040517{n:03}");
    IdNumber::parse(
        &IdNumber::complete(&body).unwrap(),
        time::macros::date!(2026 - 06 - 01),
    )
    .unwrap()
}

struct Harness {
    env: TestEnv,
    app: App,
    tokens: Tokens,
    task: CollectionTask,
}

/// How the submitted face compares with the ID card in a test case.
enum Face {
    Same,
    Different,
    NoPortrait,
    Unusable,
}

impl Harness {
    /// The app's clock: frozen for the test (see `TestEnv`).
    fn now(&self) -> OffsetDateTime {
        self.env.store.clock.now()
    }

    async fn new() -> Self {
        let env = TestEnv::new().await;
        let tokens = Tokens::new(SECRET).unwrap();
        let task = open_task(&env.store.table, EducationLevel::Bachelor).await;
        let console = Console::new(
            env.store.objects.client().clone(),
            env.stack.names.console_bucket.clone(),
            Some(localstack::Moto::shared().endpoint()),
        );
        let app = App {
            store: env.store.clone(),
            tokens: tokens.clone(),
            console: Some(console),
        };
        Self {
            env,
            app,
            tokens,
            task,
        }
    }

    fn token(&self, role: Role, subject: &str) -> String {
        let principal = Principal {
            subject: subject.into(),
            role,
        };
        self.tokens.mint(&principal, self.now(), Duration::hours(1))
    }

    async fn call(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Answer {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .body(body.map_or(Body::Empty, |b| Body::Text(b.to_string())))
            .unwrap();
        self.send(request).await
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = web::handle(&self.app, request).await;
        let status = response.status().as_u16();
        let body = match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap(),
            other => panic!("unexpected body {other:?}"),
        };
        Answer { status, body }
    }

    /// A paid case of student number `n`, with a passed attempt submitted for review.
    async fn submitted(&self, n: u32, face: Face) -> Collection {
        self.submitted_at(n, face, self.now()).await
    }

    /// A case brought to review with every step at `at`.
    async fn submitted_at(&self, n: u32, face: Face, at: OffsetDateTime) -> Collection {
        self.submitted_with(n, face, at, 0).await
    }

    /// As [`Harness::submitted_at`], paid with `print_fen` for printed photos too.
    async fn submitted_with(
        &self,
        n: u32,
        face: Face,
        at: OffsetDateTime,
        print_fen: u32,
    ) -> Collection {
        let table = &self.env.store.table;
        let number = format!("20221101{n:02}");
        let openid = format!("o-student-{n}-{}", self.task.id);
        let id_number = student_id_number(n);
        table
            .put_enrollments(&[Enrollment {
                task_id: self.task.id,
                student_number: number.clone(),
                name: "欧阳娜娜".into(),
                id_number: id_number.clone(),
                school: self.task.school.clone(),
                education_level: EducationLevel::Bachelor,
                major: "软件工程".into(),
                chsi_code: None,
            }])
            .await
            .unwrap();
        let descriptor: Vec<f32> = (0..128).map(|i| (i as f32) / 1000.0).collect();
        let portrait = match face {
            Face::NoPortrait => None,
            Face::Unusable => Some((PortraitId::new(), PortraitStatus::Unusable)),
            Face::Same | Face::Different => Some((PortraitId::new(), PortraitStatus::Usable)),
        };
        // As the photo processor leaves a decided portrait: its upload, a copy of the bytes
        // described, the face under their digest, and the digest on the decision.
        let matched = portrait.map(|(id, _)| PortraitChecked {
            portrait: id,
            digest: Digest::of(ORIGINAL),
        });
        let mut student_portrait = None;
        if let (Some((id, status)), Some(matched)) = (portrait, &matched) {
            table
                .put_face(FaceOf::Portrait(id, matched.digest), &descriptor)
                .await
                .unwrap();
            self.upload(&UploadKey::Portrait(id).to_string(), ORIGINAL)
                .await;
            self.env
                .store
                .objects
                .put_photo_object(&matched.copy_key(), "image/jpeg", ORIGINAL.to_vec())
                .await
                .unwrap();
            // The card reads the identity the student confirmed.
            let text = CardText::Read {
                name: "欧阳娜娜".into(),
                id_number: id_number.clone(),
            };
            table.put_card_text(matched, &text).await.unwrap();
            student_portrait = Some(Portrait {
                id,
                status,
                sha256: Some(matched.digest.to_string()),
                problem: None,
            });
        }
        table
            .put_student(&Student {
                openid: openid.clone(),
                identity: Some(VerifiedIdentity {
                    name: "欧阳娜娜".into(),
                    id_number,
                    verified_at: at,
                }),
                portrait: student_portrait,
            })
            .await
            .unwrap();
        let (case, created) =
            Collection::open(self.task.id, number, openid.clone(), Actor::Student, at);
        table.open_collection(&case, &created).await.unwrap();
        let attempt = AttemptId::new();
        let mut submitted_face = descriptor.clone();
        if matches!(face, Face::Different) {
            submitted_face[0] += 0.8;
        }
        // What the photo processor leaves: the upload, a copy of the bytes it checked, its
        // results and the face, all named by the digest it records with the verdict.
        let checked = Checked {
            collection: case.id,
            attempt,
            digest: Digest::of(ORIGINAL),
        };
        table
            .put_face(FaceOf::Attempt(attempt, checked.digest), &submitted_face)
            .await
            .unwrap();
        let original = UploadKey::Attempt {
            collection: case.id,
            attempt,
        };
        self.upload(&original.to_string(), ORIGINAL).await;
        let objects = &self.env.store.objects;
        let report = json!({"passed": true, "checks": [{"code": "uneven_lighting", "flag": true}]});
        for (key, content_type, bytes) in [
            (checked.original_key(), "image/jpeg", ORIGINAL.to_vec()),
            (
                checked.standardised_key(),
                "image/jpeg",
                STANDARDISED.to_vec(),
            ),
            (
                checked.report_key(),
                "application/json",
                report.to_string().into_bytes(),
            ),
        ] {
            objects
                .put_photo_object(&key, content_type, bytes)
                .await
                .unwrap();
        }
        let portrait = table
            .student(&openid)
            .await
            .unwrap()
            .and_then(|s| s.portrait);
        let submission = Submission {
            attempt,
            review_flags: vec![ReasonCode::UnevenLighting],
            face_match: Some(
                table
                    .face_match(portrait.as_ref(), Some(&checked))
                    .await
                    .unwrap(),
            ),
        };
        let mut steps = paid_to_submitted(submission, at);
        if let Command::ConfirmPayment { payment } = &mut steps[0].0 {
            payment.print_fen = print_fen;
            payment.amount_fen += print_fen;
        }
        live_through(table, case.id, steps, &checked, matched.as_ref(), at).await
    }

    async fn upload(&self, key: &str, bytes: &[u8]) {
        self.env
            .store
            .objects
            .client()
            .put_object()
            .bucket(&self.env.store.objects.buckets().uploads)
            .key(key)
            .body(bytes.to_vec().into())
            .send()
            .await
            .unwrap();
    }

    /// This task's entry in `GET /v1/review/queues`.
    async fn queue_summary(&self, token: &str) -> Value {
        let queues = self
            .call(Method::GET, "/v1/review/queues", token, None)
            .await;
        queues.ok(200)["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["task_id"] == self.task.id.to_string())
            .unwrap()
            .clone()
    }

    async fn case(&self, id: domain::CollectionId) -> Collection {
        self.env.store.table.collection(id).await.unwrap()
    }
}

async fn fetch(url: &Value) -> Vec<u8> {
    let response = localstack::http_client()
        .get(url.as_str().expect("a presigned URL"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn two_reviewers_claiming_one_case_one_wins() {
    let h = Harness::new().await;
    let case = h.submitted(1, Face::Same).await;
    let (one, two) = (
        h.token(Role::Reviewer, "reviewer-1"),
        h.token(Role::Reviewer, "reviewer-2"),
    );
    let claim = format!("/v1/review/cases/{}/claim", case.id);
    let (a, b) = tokio::join!(
        h.call(Method::POST, &claim, &one, None),
        h.call(Method::POST, &claim, &two, None)
    );
    let (winner, loser) = match (a.status, b.status) {
        (200, 409) => ((a, &one, "reviewer-1"), (b, &two)),
        (409, 200) => ((b, &two, "reviewer-2"), (a, &one)),
        other => panic!("expected exactly one claim to win, got {other:?}"),
    };
    loser.0.refused(409, "lease_held");
    assert_eq!(winner.0.body["lease"]["reviewer"], winner.2);
    assert_eq!(winner.0.body["lease"]["mine"], true);

    // The loser finds nothing else to take and cannot decide the winner's case.
    let next = format!("/v1/review/tasks/{}/next", h.task.id);
    h.call(Method::POST, &next, loser.1, None)
        .await
        .refused(404, "queue_empty");
    let approve = format!("/v1/review/cases/{}/approve", case.id);
    h.call(Method::POST, &approve, loser.1, Some(json!({})))
        .await
        .refused(409, "lease_lost");
    assert_eq!(h.case(case.id).await.status, CollectionStatus::InReview);

    // The winner claiming again renews, and decides.
    h.call(Method::POST, &claim, winner.1, None).await.ok(200);
    let decided = h
        .call(Method::POST, &approve, winner.1, Some(json!({})))
        .await;
    assert_eq!(decided.ok(200)["status"], "approved");
    h.call(Method::POST, &claim, loser.1, None)
        .await
        .refused(409, "not_in_review");
}

#[tokio::test]
async fn an_expired_lease_returns_the_case_to_the_queue() {
    let h = Harness::new().await;
    let case = h.submitted(1, Face::Same).await;
    let table = &h.env.store.table;
    // reviewer-1 claims it and walks away; eleven minutes pass.
    let claim = Lease::claim(case.id, case.task_id, "reviewer-1", h.now());
    table.take_lease(claim, h.now()).await.unwrap();
    h.env.store.clock.advance(Duration::minutes(11));
    let queue = format!("/v1/review/tasks/{}/queue", h.task.id);
    let two = h.token(Role::Reviewer, "reviewer-2");
    let listed = h.call(Method::GET, &queue, &two, None).await;
    assert_eq!(
        listed.ok(200)["items"][0]["lease"],
        Value::Null,
        "an expired lease is not shown"
    );

    let next = format!("/v1/review/tasks/{}/next", h.task.id);
    let taken = h.call(Method::POST, &next, &two, None).await;
    assert_eq!(taken.ok(200)["collection_id"], case.id.to_string());
    assert_eq!(taken.body["lease"]["reviewer"], "reviewer-2");

    // The first reviewer's late decision is refused and changes nothing.
    let one = h.token(Role::Reviewer, "reviewer-1");
    let approve = format!("/v1/review/cases/{}/approve", case.id);
    h.call(Method::POST, &approve, &one, None)
        .await
        .refused(409, "lease_lost");
    assert_eq!(h.case(case.id).await.version, case.version);

    // Leaving gives it back at once.
    let claim = format!("/v1/review/cases/{}/claim", case.id);
    let released = h.call(Method::DELETE, &claim, &two, None).await;
    assert_eq!(released.ok(200)["released"], true);
    h.call(Method::POST, &claim, &one, None).await.ok(200);
}

/// The reviewer compares the photo with the ID-card portrait its face match was computed
/// against, recorded with the submission: not whatever portrait the student has now, nor
/// whatever was last PUT at its upload key.
#[tokio::test]
async fn the_reviewer_sees_the_portrait_the_face_match_was_made_with() {
    let h = Harness::new().await;
    let case = h.submitted(1, Face::Same).await;
    let table = &h.env.store.table;
    // A replayed upload over the portrait's key, and a newer portrait on the student record
    // (what the submission's hold refuses through the API).
    let mut student = table.student(&case.owner).await.unwrap().unwrap();
    let old = student.portrait.clone().unwrap();
    h.upload(&UploadKey::Portrait(old.id).to_string(), STANDARDISED)
        .await;
    let newer = PortraitChecked {
        portrait: domain::PortraitId::new(),
        digest: Digest::of(STANDARDISED),
    };
    h.env
        .store
        .objects
        .put_photo_object(&newer.copy_key(), "image/jpeg", STANDARDISED.to_vec())
        .await
        .unwrap();
    student.portrait = Some(Portrait {
        id: newer.portrait,
        status: PortraitStatus::Usable,
        sha256: Some(newer.digest.to_string()),
        problem: None,
    });
    table.put_student(&student).await.unwrap();

    let one = h.token(Role::Reviewer, "reviewer-1");
    let view = h
        .call(
            Method::GET,
            &format!("/v1/review/cases/{}", case.id),
            &one,
            None,
        )
        .await;
    assert_eq!(
        fetch(&view.ok(200)["photos"]["id_card"]["url"]).await,
        ORIGINAL
    );
}

/// A reviewer's laptop is lost: an operator withdraws their tokens, and the very next request
/// with one is refused, though it is validly signed and unexpired; restored, it passes again.
#[tokio::test]
async fn a_revoked_staff_token_is_refused_at_once() {
    let h = Harness::new().await;
    let reviewer = h.token(Role::Reviewer, "reviewer-lost");
    let operator = h.token(Role::Operator, "ops-1");
    let queues = "/v1/review/queues";
    h.call(Method::GET, queues, &reviewer, None).await.ok(200);
    let revocation = "/v1/staff/reviewer-lost/revocation";
    h.call(Method::POST, revocation, &operator, None)
        .await
        .ok(200);
    h.call(Method::GET, queues, &reviewer, None)
        .await
        .refused(401, "token_revoked");
    // Another reviewer is untouched; a reviewer cannot revoke anyone; nor can an operator
    // revoke themselves.
    let other = h.token(Role::Reviewer, "reviewer-2");
    h.call(Method::GET, queues, &other, None).await.ok(200);
    h.call(Method::POST, "/v1/staff/ops-1/revocation", &other, None)
        .await
        .refused(403, "forbidden");
    h.call(Method::POST, "/v1/staff/ops-1/revocation", &operator, None)
        .await
        .refused(409, "cannot_revoke_self");

    h.call(Method::DELETE, revocation, &operator, None)
        .await
        .ok(200);
    h.call(Method::GET, queues, &reviewer, None).await.ok(200);
}

#[tokio::test]
async fn an_approval_is_audited_with_the_reviewer_and_counted_for_the_report() {
    let h = Harness::new().await;
    let older = h.submitted(1, Face::Same).await;
    let newer = h.submitted(2, Face::Different).await;
    let one = h.token(Role::Reviewer, "reviewer-1");
    let next = format!("/v1/review/tasks/{}/next", h.task.id);
    let view = h.call(Method::POST, &next, &one, None).await;
    let view = view.ok(200);
    assert_eq!(view["collection_id"], older.id.to_string(), "oldest first");

    // What the reviewer sees: three photos behind short-lived links, report, flags, match.
    assert_eq!(fetch(&view["photos"]["original"]["url"]).await, ORIGINAL);
    assert_eq!(
        fetch(&view["photos"]["standardised"]["url"]).await,
        STANDARDISED
    );
    assert_eq!(fetch(&view["photos"]["id_card"]["url"]).await, ORIGINAL);
    assert_eq!(view["report"]["checks"][0]["code"], "uneven_lighting");
    assert_eq!(view["review_flags"][0]["code"], "uneven_lighting");
    assert_eq!(view["face_match"]["verdict"], "same");
    assert_eq!(view["id_card"]["check"], "matches");
    assert_eq!(view["id_card"]["name"], "欧***");
    assert_eq!(view["student"]["name"], "欧***", "the name is masked");
    let id_number = student_id_number(1);
    assert!(!view.to_string().contains(id_number.as_str()));
    assert_eq!(view["id_card"]["id_number"], id_number.masked());

    let approve = format!("/v1/review/cases/{}/approve", older.id);
    h.call(Method::POST, &approve, &one, Some(json!({})))
        .await
        .ok(200);
    let case = h.case(older.id).await;
    assert_eq!(case.status, CollectionStatus::Approved);
    let events = h.env.store.table.events(older.id).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last.kind(), &last.actor),
        ("approve", &Actor::Reviewer("reviewer-1".into()))
    );
    assert_eq!(
        h.env.store.table.lease(older.id).await.unwrap(),
        None,
        "the decision ends the lease"
    );

    // The next case is the newer one, flagged as a different face, on a card that reads
    // another name than the one the student confirmed and had verified.
    let card = h
        .env
        .store
        .table
        .student(&newer.owner)
        .await
        .unwrap()
        .unwrap();
    let card = PortraitChecked::of(card.portrait.as_ref().unwrap()).unwrap();
    let other = CardText::Read {
        name: "欧阳娜".into(),
        id_number: student_id_number(2),
    };
    h.env
        .store
        .table
        .put_card_text(&card, &other)
        .await
        .unwrap();
    let view = h.call(Method::POST, &next, &one, None).await;
    assert_eq!(view.ok(200)["collection_id"], newer.id.to_string());
    assert_eq!(view.body["face_match"]["verdict"], "different");
    assert_eq!(view.body["id_card"]["check"], "id_card_mismatch");
    assert!(
        view.body["id_card"]["message_zh"]
            .as_str()
            .unwrap()
            .contains("不一致")
    );
    let reject = format!("/v1/review/cases/{}/reject", newer.id);
    h.call(
        Method::POST,
        &reject,
        &one,
        Some(json!({"reasons": ["not_the_student"]})),
    )
    .await
    .ok(200);

    let ops = h.token(Role::Operator, "ops-1");
    let report = h
        .call(Method::GET, "/v1/review/report?days=2", &ops, None)
        .await;
    let report = report.ok(200);
    assert_eq!(report["promise_hours"], 48.0);
    let mine: Vec<&Value> = report["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["reviewer"] == "reviewer-1")
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0]["approved"].as_u64(), mine[0]["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    let queue = report["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["task_id"] == h.task.id.to_string())
        .unwrap();
    assert_eq!(queue["waiting"], 0);
}

#[tokio::test]
async fn a_rejection_lets_the_student_retake_without_paying() {
    let h = Harness::new().await;
    let case = h.submitted(1, Face::Same).await;
    let one = h.token(Role::Reviewer, "reviewer-1");
    let claim = format!("/v1/review/cases/{}/claim", case.id);
    h.call(Method::POST, &claim, &one, None).await.ok(200);
    let reject = format!("/v1/review/cases/{}/reject", case.id);

    h.call(Method::POST, &reject, &one, Some(json!({"reasons": []})))
        .await
        .refused(400, "bad_request");
    h.call(
        Method::POST,
        &reject,
        &one,
        Some(json!({"reasons": ["ugly"]})),
    )
    .await
    .refused(400, "bad_request");
    let long = "很".repeat(201);
    h.call(
        Method::POST,
        &reject,
        &one,
        Some(json!({"reasons": ["blurry"], "note": long})),
    )
    .await
    .refused(422, "invalid_field");
    h.call(
        Method::POST,
        &reject,
        &one,
        Some(json!({"reasons": ["blurry"], "extra": 1})),
    )
    .await
    .refused(400, "bad_request");
    assert_eq!(
        h.case(case.id).await.version,
        case.version,
        "refusals change nothing"
    );

    let rejected = h
        .call(
            Method::POST,
            &reject,
            &one,
            Some(json!({"reasons": ["hair_covers_face", "uneven_lighting"], "note": "请把头发拨到耳后"})),
        )
        .await;
    assert_eq!(rejected.ok(200)["status"], "awaiting_photo");
    let case = h.case(case.id).await;
    let decision = case.review.clone().unwrap();
    assert_eq!(decision.reviewer, "reviewer-1");
    assert!(case.payment.is_some(), "the payment stays");

    // The retake needs no new payment.
    let retake = AttemptId::new();
    let t = h
        .env
        .store
        .table
        .transition(
            case.id,
            Command::StartAttempt { attempt_id: retake },
            Actor::Student,
            h.now(),
        )
        .await
        .unwrap();
    assert_eq!(t.next.status, CollectionStatus::AwaitingPhoto);
    assert_eq!(t.next.attempts.len(), 2);
}

#[tokio::test]
async fn the_face_match_is_decided_at_submission_and_gaps_are_flags() {
    let h = Harness::new().await;
    let same = h.submitted(1, Face::Same).await;
    let different = h.submitted(2, Face::Different).await;
    let none = h.submitted(3, Face::NoPortrait).await;
    let unusable = h.submitted(4, Face::Unusable).await;
    assert!(matches!(same.face_match, Some(FaceMatch::Same { distance, .. }) if distance < 1e-6));
    assert!(
        matches!(different.face_match, Some(FaceMatch::Different { distance, threshold }) if (distance - 0.8).abs() < 1e-4 && threshold == 0.6)
    );
    assert_eq!(
        none.face_match,
        Some(FaceMatch::Unavailable {
            gap: FaceGap::NoPortrait
        })
    );
    assert_eq!(
        unusable.face_match,
        Some(FaceMatch::Unavailable {
            gap: FaceGap::PortraitUnusable
        })
    );

    // The queue shows it for triage; a reviewer with no portrait still gets a view.
    let one = h.token(Role::Reviewer, "reviewer-1");
    let queue = h
        .call(
            Method::GET,
            &format!("/v1/review/tasks/{}/queue", h.task.id),
            &one,
            None,
        )
        .await;
    let verdicts: Vec<&str> = queue.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["face_verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts,
        ["same", "different", "unavailable", "unavailable"]
    );
    let view = h
        .call(
            Method::GET,
            &format!("/v1/review/cases/{}", none.id),
            &one,
            None,
        )
        .await;
    assert_eq!(view.ok(200)["photos"]["id_card"], Value::Null);
    assert_eq!(view.body["face_match"]["gap"], "no_portrait");
}

#[tokio::test]
async fn only_staff_reach_the_review_routes_and_only_reviewers_decide() {
    let h = Harness::new().await;
    let case = h.submitted(1, Face::Same).await;
    let student = h.token(Role::Student, &case.owner);
    let ops = h.token(Role::Operator, "ops-1");
    h.call(Method::GET, "/v1/review/queues", &student, None)
        .await
        .refused(403, "forbidden");
    h.call(
        Method::GET,
        "/v1/review/report",
        &h.token(Role::Reviewer, "r"),
        None,
    )
    .await
    .refused(403, "forbidden");
    let claim = format!("/v1/review/cases/{}/claim", case.id);
    h.call(Method::POST, &claim, &ops, None)
        .await
        .refused(403, "forbidden");
    let mine = h.queue_summary(&ops).await;
    assert_eq!(
        (mine["waiting"].as_u64(), mine["overdue"].as_u64()),
        (Some(1), Some(0))
    );
    let reasons = h.call(Method::GET, "/v1/review/reasons", &ops, None).await;
    let codes: Vec<&str> = reasons.ok(200)["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"not_the_student") && !codes.contains(&"file_too_large"));
    h.call(Method::GET, "/v1/review/report?days=99", &ops, None)
        .await
        .refused(400, "bad_request");
}

#[tokio::test]
async fn the_console_is_served_from_its_bucket_beside_the_routes() {
    let h = Harness::new().await;
    let page = b"<!doctype html><title>console</title>";
    h.env
        .store
        .objects
        .client()
        .put_object()
        .bucket(&h.env.stack.names.console_bucket)
        .key("index.html")
        .body(page.to_vec().into())
        .send()
        .await
        .unwrap();
    let get = |path: &str| {
        let request = Request::builder()
            .method(Method::GET)
            .uri(path)
            .body(Body::Empty)
            .unwrap();
        h.app.respond(request)
    };
    let redirect = get("/console").await;
    assert_eq!(redirect.status(), 302);
    assert_eq!(redirect.headers()["location"], "/console/index.html");
    let index = get("/console/index.html").await;
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
    let policy = index.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains(&format!(
        "img-src 'self' {}",
        localstack::Moto::shared().endpoint()
    )));
    assert_eq!(index.body().as_ref(), page);
    // Nothing but the console's own kinds of file, by their plain names.
    for path in [
        "/console/app.js",
        "/console/../secret.html",
        "/console/.env.js",
        "/consoleindex.html",
    ] {
        assert_eq!(get(path).await.status(), 404, "{path}");
    }
    // The review routes answer as before, with their JSON errors.
    let unauthenticated = get("/v1/review/queues").await;
    assert_eq!(unauthenticated.status(), 401);
}

#[tokio::test]
async fn queues_are_counted_not_listed_with_their_age_against_the_promise() {
    let h = Harness::new().await;
    let now = h.now();
    let hours_ago = |n: i64| now - Duration::hours(n);
    let oldest = h.submitted_at(1, Face::Same, hours_ago(50)).await;
    h.submitted_at(2, Face::Same, hours_ago(49)).await;
    h.submitted_at(3, Face::Same, hours_ago(1)).await;
    h.submitted(4, Face::Same).await;
    let reviewer = h.token(Role::Reviewer, "reviewer-1");
    let next = format!("/v1/review/tasks/{}/next", h.task.id);
    let taken = h.call(Method::POST, &next, &reviewer, None).await;
    assert_eq!(taken.ok(200)["collection_id"], oldest.id.to_string());

    let mine = h.queue_summary(&reviewer).await;
    assert_eq!(
        (&mine["waiting"], &mine["leased"], &mine["overdue"]),
        (&json!(4), &json!(1), &json!(2))
    );
    assert_eq!(mine["oldest_age_hours"], 50.0);
    // A listing cut short still reports the whole queue.
    let listing = format!("/v1/review/tasks/{}/queue?limit=2", h.task.id);
    let listed = h.call(Method::GET, &listing, &reviewer, None).await;
    let listed = listed.ok(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert_eq!(listed["items"][0]["collection_id"], oldest.id.to_string());
    assert_eq!(listed["items"][0]["lease"]["mine"], true);
    // What the listing shows of each case, read from the index without the whole case.
    assert_eq!(listed["items"][0]["review_flags"], 1);
    assert_eq!(listed["items"][0]["face_verdict"], "same");
    assert_eq!(listed["items"][1]["student_number"], "2022110102");
    assert_eq!(listed["summary"]["waiting"], 4);
    assert_eq!(listed["summary"]["overdue"], 2);
    // The oldest cases alone, sooner; the counts come with a second call.
    let first = format!("{listing}&summary=false");
    let first = h.call(Method::GET, &first, &reviewer, None).await;
    assert_eq!(first.ok(200)["summary"], Value::Null);
    assert_eq!(
        first.ok(200)["items"][0]["collection_id"],
        oldest.id.to_string()
    );
    h.call(
        Method::GET,
        &format!("{listing}&summary=no"),
        &reviewer,
        None,
    )
    .await
    .refused(400, "bad_request");
}

#[tokio::test]
async fn reviewers_open_only_cases_in_review_and_every_opening_is_recorded() {
    let h = Harness::new().await;
    let case = h.submitted(1, Face::Same).await;
    let one = h.token(Role::Reviewer, "reviewer-1");
    let other = h.token(Role::Reviewer, "reviewer-2");
    let operator = h.token(Role::Operator, "ops-1");
    let path = format!("/v1/review/cases/{}", case.id);
    h.call(Method::GET, &path, &one, None).await.ok(200);
    let claim = format!("{path}/claim");
    h.call(Method::POST, &claim, &one, None).await.ok(200);
    h.call(
        Method::POST,
        &format!("{path}/approve"),
        &one,
        Some(json!({})),
    )
    .await
    .ok(200);

    // Approved: no reviewer opens it any more, whoever decided it; an operator still can.
    for token in [&one, &other] {
        h.call(Method::GET, &path, token, None)
            .await
            .refused(403, "closed_to_reviewers");
    }
    h.env.store.clock.advance(Duration::seconds(1));
    h.call(Method::GET, &path, &operator, None).await.ok(200);

    // Four openings that showed photos (view, claim, the decision's answer, the operator's);
    // the refused ones showed nothing and are not openings. Newest first.
    let listed = h
        .call(Method::GET, &format!("{path}/accesses"), &operator, None)
        .await;
    let listed = listed.ok(200);
    let who: Vec<String> = listed["accesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["subject"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(who, ["ops-1", "reviewer-1", "reviewer-1", "reviewer-1"]);
    assert_eq!(listed["accesses"][0]["role"], "operator");
    let mine = h
        .call(
            Method::GET,
            "/v1/staff/reviewer-1/accesses",
            &operator,
            None,
        )
        .await;
    let mine = mine.ok(200);
    assert_eq!(mine["accesses"].as_array().unwrap().len(), 3);
    assert_eq!(mine["accesses"][0]["collection_id"], case.id.to_string());
    // Reviewers cannot read who looked at what.
    h.call(Method::GET, "/v1/staff/reviewer-1/accesses", &one, None)
        .await
        .refused(403, "forbidden");
}

/// A student who changed WeChat accounts: an operator moves the identity, the portrait and the
/// case to the new account once the case is out of review, with a reason the trail keeps; the
/// old account keeps nothing, and a second approval changes nothing.
#[tokio::test]
async fn an_operator_moves_an_identity_and_its_case_to_the_new_account() {
    let h = Harness::new().await;
    let table = &h.env.store.table;
    let case = h.submitted(1, Face::Same).await;
    let old = case.owner.clone();
    let new = format!("o-new-phone-{}", h.task.id);
    let held = table.student(&old).await.unwrap().unwrap();
    let request = table
        .ask_operator(
            store::RequestKind::Transfer {
                from: old.clone(),
                to: new.clone(),
            },
            h.now(),
        )
        .await
        .unwrap();
    let operator = h.token(Role::Operator, "ops-1");
    let reviewer = h.token(Role::Reviewer, "reviewer-1");
    let approve = format!("/v1/review/requests/{}/approve", request.id);
    let because = json!({"reason": "学生持身份证到学院核实，旧手机号已注销"});

    // Listed for operators only, masked, with the case that would move.
    h.call(Method::GET, "/v1/review/requests", &reviewer, None)
        .await
        .refused(403, "forbidden");
    let listed = h
        .call(Method::GET, "/v1/review/requests", &operator, None)
        .await;
    let listed = listed.ok(200);
    let entry = &listed["requests"][0];
    assert_eq!(entry["id"], request.id);
    assert_eq!(entry["kind"]["type"], "transfer");
    assert_eq!(entry["identity"]["name"], "欧***");
    assert_eq!(entry["cases"], 1);
    assert!(
        !listed
            .to_string()
            .contains(held.identity.as_ref().unwrap().id_number.as_str())
    );

    // Not while a reviewer decides the case: its evidence is the old account's.
    h.call(Method::POST, &approve, &operator, Some(because.clone()))
        .await
        .refused(409, "in_review");
    h.call(Method::POST, &approve, &reviewer, Some(because.clone()))
        .await
        .refused(403, "forbidden");
    let path = format!("/v1/review/cases/{}", case.id);
    h.call(Method::POST, &format!("{path}/claim"), &reviewer, None)
        .await
        .ok(200);
    h.call(
        Method::POST,
        &format!("{path}/approve"),
        &reviewer,
        Some(json!({})),
    )
    .await
    .ok(200);

    let moved = h
        .call(Method::POST, &approve, &operator, Some(because.clone()))
        .await;
    assert_eq!(moved.ok(200)["moved_cases"], json!([case.id.to_string()]));
    h.call(Method::POST, &approve, &operator, Some(because))
        .await
        .refused(409, "request_decided");

    // The new account holds everything; the old one nothing.
    let identity = held.identity.unwrap();
    assert_eq!(
        table.identity_owner(&identity.id_number).await.unwrap(),
        Some(new.clone())
    );
    let gone = table.student(&old).await.unwrap().unwrap();
    assert!(gone.identity.is_none() && gone.portrait.is_none());
    let now_theirs = table.student(&new).await.unwrap().unwrap();
    assert_eq!(now_theirs.identity.unwrap().name, identity.name);
    assert_eq!(
        now_theirs.portrait.map(|p| p.id),
        held.portrait.map(|p| p.id)
    );
    assert!(table.collections_of(&old).await.unwrap().is_empty());
    let moved = h.case(case.id).await;
    assert_eq!(moved.owner, new);
    assert_eq!(moved.status, CollectionStatus::Approved);
    let last = table.events(case.id).await.unwrap().pop().unwrap();
    assert_eq!(last.actor, Actor::Operator("ops-1".into()));
    assert!(matches!(
        last.command,
        Some(Command::Transfer { ref reason, .. }) if reason.contains("身份证")
    ));
    // The portrait's pointer follows, and the held portrait still cannot be replaced.
    let portrait = moved_portrait(table, &new).await;
    assert_eq!(table.portrait_owner(portrait).await.unwrap(), Some(new));
    let decided = table.operator_request(&request.id).await.unwrap();
    assert_eq!(decided.status, store::RequestStatus::Approved);
    assert_eq!(decided.decision.unwrap().by, "ops-1");
    assert!(table.pending_requests().await.unwrap().is_empty());
}

async fn moved_portrait(table: &store::Table, openid: &str) -> PortraitId {
    table
        .student(openid)
        .await
        .unwrap()
        .and_then(|s| s.portrait)
        .map(|p| p.id)
        .expect("a portrait")
}

/// The school typed a student's ID number wrong: the student asked (see the API's tests), the
/// operator sees how far the numbers differ, approves, and the row is corrected and linked.
#[tokio::test]
async fn an_operator_confirms_a_roster_row_with_a_typo_and_the_case_opens() {
    let h = Harness::new().await;
    let table = &h.env.store.table;
    let real = student_id_number(7);
    let typo = {
        let mut body = real.as_str()[..17].to_owned();
        body.replace_range(16..17, if &body[16..17] == "5" { "6" } else { "5" });
        IdNumber::parse_stored(&IdNumber::complete(&body).unwrap()).unwrap()
    };
    table
        .put_enrollments(&[Enrollment {
            task_id: h.task.id,
            student_number: "2022110107".into(),
            name: "欧阳娜娜".into(),
            id_number: typo,
            school: h.task.school.clone(),
            education_level: EducationLevel::Bachelor,
            major: "软件工程".into(),
            chsi_code: None,
        }])
        .await
        .unwrap();
    let openid = "o-typo-student";
    table
        .put_student(&Student {
            openid: openid.into(),
            identity: Some(VerifiedIdentity {
                name: "欧阳娜娜".into(),
                id_number: real.clone(),
                verified_at: h.now(),
            }),
            portrait: None,
        })
        .await
        .unwrap();
    let request = table
        .ask_operator(
            store::RequestKind::Link {
                openid: openid.into(),
                task_id: h.task.id,
                student_number: "2022110107".into(),
            },
            h.now(),
        )
        .await
        .unwrap();
    let operator = h.token(Role::Operator, "ops-1");
    let listed = h
        .call(Method::GET, "/v1/review/requests", &operator, None)
        .await;
    let listed = listed.ok(200);
    let row = &listed["requests"][0]["row"];
    assert_eq!(
        row["differing_characters"], 2,
        "a digit and the check character"
    );
    assert_eq!(row["name"], "欧***");

    let approve = format!("/v1/review/requests/{}/approve", request.id);
    h.call(
        Method::POST,
        &approve,
        &operator,
        Some(json!({"reason": ""})),
    )
    .await
    .refused(422, "invalid_field");
    let done = h
        .call(
            Method::POST,
            &approve,
            &operator,
            Some(json!({"reason": "学院教务处确认花名册身份证号录入错误"})),
        )
        .await;
    let id = done.ok(200)["collection_id"].as_str().unwrap().to_owned();
    let case = h.case(id.parse().unwrap()).await;
    assert_eq!(case.owner, openid);
    let row = table.enrollment(h.task.id, "2022110107").await.unwrap();
    assert_eq!(row.id_number, real, "the typo is corrected");
    let created = table.events(case.id).await.unwrap().remove(0);
    assert_eq!(created.actor, Actor::Operator("ops-1".into()));
    // Asking again shows the decision; it never overwrites it.
    let again = table
        .ask_operator(request.kind.clone(), h.now())
        .await
        .unwrap();
    assert_eq!(again.status, store::RequestStatus::Approved);
    assert_eq!(again.decision.unwrap().by, "ops-1");
    // Refusing it now is too late.
    h.call(
        Method::POST,
        &format!("/v1/review/requests/{}/refuse", request.id),
        &operator,
        Some(json!({"reason": "重复"})),
    )
    .await
    .refused(409, "request_decided");
}

/// A reviewer sends a photo whose clothes the background tinted to a retoucher instead of
/// rejecting it; only a retoucher works on it, under a lease, seeing the original and the
/// standardised photo; their correction comes back to review beside the standardised one, and
/// the approved photo is the retouched one.
#[tokio::test]
async fn a_photo_goes_to_a_retoucher_and_back_to_review_with_both_versions() {
    let h = Harness::new().await;
    let case = h.submitted(1, Face::Same).await;
    let reviewer = h.token(Role::Reviewer, "reviewer-1");
    let retoucher = h.token(Role::Retoucher, "retoucher-1");
    let other = h.token(Role::Retoucher, "retoucher-2");
    let path = |tail: &str| format!("/v1/review/cases/{}/{tail}", case.id);
    let desk = |tail: &str| format!("/v1/review/retouch/cases/{}{tail}", case.id);

    // Only the reviewer holding the case sends it, and says what to correct.
    let send = Some(json!({"note": "衣领被背景色染蓝，请修正"}));
    h.call(Method::POST, &path("retouch"), &reviewer, send.clone())
        .await
        .refused(409, "lease_lost");
    h.call(Method::POST, &path("claim"), &reviewer, None)
        .await
        .ok(200);
    h.call(
        Method::POST,
        &path("retouch"),
        &reviewer,
        Some(json!({"note": " "})),
    )
    .await
    .refused(422, "invalid_field");
    let sent = h
        .call(Method::POST, &path("retouch"), &reviewer, send)
        .await;
    assert_eq!(sent.ok(200)["status"], "retouching");
    assert_eq!(h.case(case.id).await.status, CollectionStatus::Retouching);
    // Out of the reviewers' hands, and out of their queue.
    h.call(
        Method::GET,
        &format!("/v1/review/cases/{}", case.id),
        &reviewer,
        None,
    )
    .await
    .refused(403, "closed_to_reviewers");
    h.call(Method::GET, "/v1/review/retouch/queue", &reviewer, None)
        .await
        .refused(403, "forbidden");

    // The retouch queue, and the retoucher's workspace.
    let queue = h
        .call(Method::GET, "/v1/review/retouch/queue", &retoucher, None)
        .await;
    let listed = &queue.ok(200)["cases"][0];
    assert_eq!(listed["collection_id"], case.id.to_string());
    assert_eq!(listed["note"], "衣领被背景色染蓝，请修正");
    h.call(
        Method::POST,
        &desk("/upload"),
        &retoucher,
        Some(json!({"content_length": 90_000})),
    )
    .await
    .refused(409, "lease_lost");
    let claimed = h
        .call(Method::POST, &desk("/claim"), &retoucher, None)
        .await;
    let claimed = claimed.ok(200);
    assert_eq!(fetch(&claimed["original"]["url"]).await, ORIGINAL);
    assert_eq!(fetch(&claimed["standardised"]["url"]).await, STANDARDISED);
    assert_eq!(claimed["last_check"], Value::Null);
    h.call(Method::POST, &desk("/claim"), &other, None)
        .await
        .refused(409, "lease_held");
    let looks = h.env.store.table.accesses_of_case(case.id).await.unwrap();
    assert!(
        looks
            .iter()
            .any(|a| a.subject == "retoucher-1" && a.role == "retoucher")
    );

    let upload = h
        .call(
            Method::POST,
            &desk("/upload"),
            &retoucher,
            Some(json!({"content_length": 90_000})),
        )
        .await;
    let url = upload.ok(200)["upload"]["url"].as_str().unwrap().to_owned();
    let attempt = case.submitted_attempt.unwrap();
    assert!(
        url.contains(&format!("retouches/{}/{attempt}", case.id)),
        "{url}"
    );

    // The processor found the correction within the standard (its own test checks real
    // photos): the case is back in review with both versions.
    let retouched = b"\xFF\xD8\xFF retouched".to_vec();
    let key = store::RetouchedKey {
        collection: case.id,
        attempt,
        digest: Digest::of(&retouched),
    };
    h.env
        .store
        .objects
        .put_photo_object(&key.photo_key(), "image/jpeg", retouched.clone())
        .await
        .unwrap();
    let back = Command::Retouched {
        retoucher: "retoucher-1".into(),
        sha256: key.digest.to_string(),
    };
    let system = Actor::System("photo-processor".into());
    h.env
        .store
        .table
        .transition(case.id, back, system, h.now())
        .await
        .unwrap();
    h.env
        .store
        .table
        .end_lease(case.id, "retoucher-1", h.now())
        .await
        .unwrap();
    let view = h.call(Method::POST, &path("claim"), &reviewer, None).await;
    let view = view.ok(200);
    assert_eq!(
        fetch(&view["photos"]["standardised"]["url"]).await,
        STANDARDISED
    );
    assert_eq!(fetch(&view["photos"]["retouched"]["url"]).await, retouched);
    assert_eq!(view["retouch"]["retouched"]["retoucher"], "retoucher-1");
    assert_eq!(view["retouch"]["note"], "衣领被背景色染蓝，请修正");
    h.call(Method::POST, &path("approve"), &reviewer, Some(json!({})))
        .await
        .ok(200);
    let approved = h.case(case.id).await;
    let checked = h
        .env
        .store
        .table
        .checked(case.id, attempt)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store::approved_photo_key(&approved, &checked),
        key.photo_key()
    );
    // The retouch queue is empty again; a retoucher cannot open a case not in retouching.
    let queue = h
        .call(Method::GET, "/v1/review/retouch/queue", &retoucher, None)
        .await;
    assert_eq!(queue.ok(200)["cases"], json!([]));
    h.call(Method::GET, &desk(""), &retoucher, None)
        .await
        .refused(409, "not_in_retouching");
}

/// A 480 × 640 photo of the standard's blue, as the engine leaves an approved one.
fn approved_jpeg() -> Vec<u8> {
    let photo = image::RgbImage::from_pixel(480, 640, image::Rgb([100, 197, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    photo.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

impl Harness {
    /// Student `n`'s case, paid with prints, approved, with a real approved photo and an
    /// address on file.
    async fn approved_with_prints(&self, n: u32) -> Collection {
        let case = self.submitted_with(n, Face::Same, self.now(), 1500).await;
        let table = &self.env.store.table;
        let checked = table
            .checked(case.id, case.submitted_attempt.unwrap())
            .await
            .unwrap()
            .unwrap();
        self.env
            .store
            .objects
            .put_photo_object(&checked.standardised_key(), "image/jpeg", approved_jpeg())
            .await
            .unwrap();
        self.approve(case.id).await;
        let address = domain::PostalAddress::parse(domain::PostalAddress {
            recipient: format!("学生{n}"),
            phone: format!("139000000{n:02}"),
            province: "广东省".into(),
            city: "广州市".into(),
            district: "天河区".into(),
            detail: format!("五山路381号{n}栋"),
        })
        .unwrap();
        table.put_address(case.id, &address).await.unwrap();
        self.case(case.id).await
    }

    /// Approved by reviewer-1, as the review routes record it.
    async fn approve(&self, case: domain::CollectionId) {
        let approve = Command::Approve {
            reviewer: "reviewer-1".into(),
        };
        let reviewer = Actor::Reviewer("reviewer-1".into());
        self.env
            .store
            .table
            .transition(case, approve, reviewer, self.now())
            .await
            .unwrap();
    }

    async fn import_csv(&self, token: &str, csv: impl Into<Vec<u8>>) -> Answer {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/v1/review/print/shipments/import")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "text/csv")
            .body(Body::Binary(csv.into()))
            .unwrap();
        self.send(request).await
    }
}

fn results(answer: &Answer) -> Vec<String> {
    answer.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn prints_are_made_in_batches_shipped_and_delivered_and_the_address_goes_with_delivery() {
    let h = Harness::new().await;
    let first = h.approved_with_prints(1).await;
    let second = h.approved_with_prints(2).await;
    // An approved case without prints is never printed.
    let plain = h.submitted(3, Face::Same).await;
    h.approve(plain.id).await;
    let ops = h.token(Role::Operator, "ops-1");
    let overview_path = format!("/v1/review/print/tasks/{}", h.task.id);
    for role in [Role::Reviewer, Role::Retoucher, Role::Student] {
        let token = h.token(role, "someone");
        h.call(Method::GET, &overview_path, &token, None)
            .await
            .refused(403, "forbidden");
    }
    let overview = h.call(Method::GET, &overview_path, &ops, None).await;
    let ordered: Vec<&str> = overview.ok(200)["cases"]["ordered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["collection_id"].as_str().unwrap())
        .collect();
    assert_eq!(ordered, [first.id.to_string(), second.id.to_string()]);
    assert_eq!(overview.body["offer"]["price_fen"], 1500);

    // A batch: one PDF sheet per case, downloadable, named by its digest; the cases printed.
    let batches = format!("/v1/review/print/tasks/{}/batches", h.task.id);
    let made = h
        .call(Method::POST, &batches, &ops, Some(json!({"format": "pdf"})))
        .await;
    let sheets = made.ok(201)["sheets"].as_array().unwrap().clone();
    assert_eq!(sheets.len(), 2);
    for sheet in &sheets {
        let bytes = fetch(&sheet["download"]["url"]).await;
        assert!(bytes.starts_with(b"%PDF-"));
        let digest: String = <sha2::Sha256 as sha2::Digest>::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sheet["sha256"], digest.as_str());
    }
    let batch_id = made.body["batch_id"].as_str().unwrap().to_owned();
    for case in [&first, &second] {
        let print = h.case(case.id).await.print.unwrap();
        assert_eq!(print.stage(), domain::PrintStage::Printed);
        assert_eq!(print.printed.unwrap().batch_id.to_string(), batch_id);
    }
    assert_eq!(h.case(plain.id).await.print, None);
    h.call(Method::POST, &batches, &ops, Some(json!({})))
        .await
        .refused(409, "nothing_to_print");
    h.call(
        Method::POST,
        &batches,
        &ops,
        Some(json!({"max_sheets": 21})),
    )
    .await
    .refused(422, "invalid_field");

    // The courier's labels: full addresses, each read recorded against the case.
    let labels = h
        .call(
            Method::GET,
            &format!("/v1/review/print/batches/{batch_id}/addresses"),
            &ops,
            None,
        )
        .await;
    let rows = labels.ok(200)["addresses"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["phone"], "13900000001");
    assert_eq!(rows[0]["detail"], "五山路381号1栋");
    let accesses = h.env.store.table.accesses_of_case(first.id).await.unwrap();
    assert!(accesses.iter().any(|a| a.subject == "ops-1"));

    // The whole batch as one parcel; a replay changes nothing; a case without prints is
    // refused on its own line.
    let parcel =
        json!({"batch_id": batch_id, "courier": "顺丰速运", "tracking_no": "SF1000000001"});
    let shipped = h
        .call(
            Method::POST,
            "/v1/review/print/shipments",
            &ops,
            Some(parcel.clone()),
        )
        .await;
    assert_eq!(results(&shipped), ["done", "done"]);
    let again = h
        .call(
            Method::POST,
            "/v1/review/print/shipments",
            &ops,
            Some(parcel),
        )
        .await;
    assert_eq!(results(&again), ["already", "already"]);
    let stray = json!({"parcels": [{"collection_id": plain.id, "courier": "EMS", "tracking_no": "1100000000001"}]});
    let refused = h
        .call(
            Method::POST,
            "/v1/review/print/shipments",
            &ops,
            Some(stray),
        )
        .await;
    assert_eq!(results(&refused), ["no_print_order"]);

    // The courier's CSV corrects the second parcel (GB18030 headers as Excel writes them).
    let csv = format!(
        "案件编号,快递公司,运单号\n{},京东物流,JD0001234567\n",
        second.id
    );
    let (gb18030, _, _) = encoding_rs::GB18030.encode(&csv);
    let imported = h.import_csv(&ops, gb18030.into_owned()).await;
    assert_eq!(results(&imported), ["done"]);
    let shipment = h.case(second.id).await.print.unwrap().shipped.unwrap();
    assert_eq!(
        (shipment.courier.as_str(), shipment.tracking_no.as_str()),
        ("京东物流", "JD0001234567")
    );
    h.import_csv(&ops, "case,courier\nx,y\n")
        .await
        .refused(422, "shipments_unreadable");
    let formula = format!(
        "collection_id,courier,tracking_no\n{},顺丰速运,=HYPERLINK(1)\n",
        first.id
    );
    assert_eq!(
        results(&h.import_csv(&ops, formula).await),
        ["invalid_field"]
    );

    // Delivered: the first parcel's address is deleted with it, the second's kept.
    let delivered = h
        .call(
            Method::POST,
            "/v1/review/print/deliveries",
            &ops,
            Some(json!({"collection_ids": [first.id]})),
        )
        .await;
    assert_eq!(results(&delivered), ["done"]);
    let table = &h.env.store.table;
    assert_eq!(table.address(first.id).await.unwrap(), None);
    assert!(table.address(second.id).await.unwrap().is_some());
    let events = table.events(first.id).await.unwrap();
    let steps: Vec<_> = events
        .iter()
        .rev()
        .take(3)
        .map(|e| (e.kind(), e.actor.clone()))
        .collect();
    let operator = Actor::Operator("ops-1".into());
    assert_eq!(
        steps,
        [
            ("delivered", operator.clone()),
            ("shipped", operator.clone()),
            ("printed", operator)
        ]
    );
    let overview = h.call(Method::GET, &overview_path, &ops, None).await;
    let shipped = overview.ok(200)["cases"]["shipped"].as_array().unwrap();
    assert_eq!(shipped.len(), 1, "delivered cases leave the lists");
    assert_eq!(shipped[0]["tracking_no"], "JD0001234567");
}

#[tokio::test]
async fn a_case_without_a_usable_photo_is_skipped_and_two_racing_batches_print_each_case_once() {
    let h = Harness::new().await;
    let mut good = Vec::new();
    for n in 1..=4 {
        good.push(h.approved_with_prints(n).await.id);
    }
    // Approved with prints, but its approved photo is not an image.
    let broken = h.submitted_with(5, Face::Same, h.now(), 1500).await;
    h.approve(broken.id).await;
    let ops = h.token(Role::Operator, "ops-1");
    let other = h.token(Role::Operator, "ops-2");
    let path = format!("/v1/review/print/tasks/{}/batches", h.task.id);
    let (a, b) = tokio::join!(
        h.call(Method::POST, &path, &ops, Some(json!({}))),
        h.call(Method::POST, &path, &other, Some(json!({}))),
    );
    let mut printed_in = std::collections::HashMap::new();
    for answer in [&a, &b] {
        if answer.status == 409 {
            // The other batch took every case before this one looked.
            assert_eq!(answer.body["code"], "nothing_to_print");
            continue;
        }
        let body = answer.ok(201);
        let skipped: Vec<_> = body["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["collection_id"].clone())
            .collect();
        assert!(
            skipped.iter().all(|id| id == &json!(broken.id)),
            "{skipped:?}"
        );
        let batch_id = body["batch_id"].as_str().unwrap().to_owned();
        let stored = h
            .env
            .store
            .table
            .print_batch(batch_id.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(
            stored.sheets.len(),
            body["sheets"].as_array().unwrap().len()
        );
        for sheet in &stored.sheets {
            let earlier = printed_in.insert(sheet.collection_id, batch_id.clone());
            assert_eq!(earlier, None, "{} in two batches", sheet.collection_id);
        }
    }
    // Every good case printed once, in the batch whose record lists it; the broken one waits.
    assert_eq!(printed_in.len(), 4);
    for id in good {
        let printed = h.case(id).await.print.unwrap().printed.unwrap();
        assert_eq!(printed.batch_id.to_string(), printed_in[&id]);
    }
    let waiting = h.case(broken.id).await.print.unwrap();
    assert_eq!(waiting.stage(), domain::PrintStage::Ordered);
}
