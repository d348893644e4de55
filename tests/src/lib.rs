//! The journey of one student's case through the system, on whatever stack `store` points at.
//! The demo prints it; the end-to-end tests check it. It grows with each part of the system:
//! today it walks the state machine through the store; the API, photo processor, payments,
//! review and publishing functions take over their steps as they land.

use domain::{
    Actor, AttemptId, BatchId, CheckOutcome, Collection, CollectionId, CollectionTask, Command,
    EducationLevel, Enrollment, IdNumber, NewTask, Payment, PhotoProfile, RosterRow, SessionCode,
    Student, VerifiedIdentity, mask_name,
};
use store::{ImageType, Opened, Store, StoreError, UploadKey};
use time::{Duration, OffsetDateTime};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// What the journey left behind, for checks.
pub struct Journey {
    pub task: CollectionTask,
    pub collection: CollectionId,
}

/// A small roster, as a school would send it. The ID numbers are made up with valid check
/// characters (GB 11643); nobody real has them.
fn roster(task: &CollectionTask) -> Result<Vec<Enrollment>, Error> {
    let rows = [
        (
            "2022110101",
            "张三",
            "44010620040517123",
            "计算机科学与技术",
        ),
        ("2022110102", "李四", "11010520031109246", "软件工程"),
        (
            "2022110103",
            "欧阳娜娜",
            "31011520040229008",
            "数字媒体技术",
        ),
    ];
    rows.iter()
        .map(|(number, name, body, major)| {
            let id = IdNumber::complete(body).ok_or("bad demo ID body")?;
            Enrollment::from_row(
                task.id,
                &RosterRow {
                    student_number: number,
                    name,
                    id_number: &id,
                    school: &task.school,
                    education_level: task.education_level,
                    major,
                    chsi_code: "",
                },
            )
            .map_err(Into::into)
        })
        .collect()
}

/// Walks one student from roster to `Published`, reporting each step to `say`.
pub async fn walk(
    store: &Store,
    now: OffsetDateTime,
    say: &mut dyn FnMut(String),
) -> Result<Journey, Error> {
    let table = &store.table;

    // A session code of its own per run, so the demo can run again on a running stack.
    let code = format!("{:08}", now.unix_timestamp() % 100_000_000);
    let task = CollectionTask::create(NewTask {
        session_code: SessionCode::parse(&code)?,
        school: "华南理工大学".into(),
        education_level: EducationLevel::Bachelor,
        graduation_year: 2026,
        fee_fen: 3000,
        profile: PhotoProfile::default(),
        opens_at: now - Duration::days(1),
        closes_at: now + Duration::days(60),
    })?;
    table.create_task(&task).await?;
    say(format!(
        "operator created task {} for {} (session code {}, fee ¥{:.2})",
        task.id,
        task.school,
        task.session_code.as_str(),
        f64::from(task.fee_fen) / 100.0
    ));

    let rows = roster(&task)?;
    table.put_enrollments(&rows).await?;
    table.put_enrollments(&rows).await?;
    say(format!(
        "operator imported a roster of {} students (twice: re-import changes nothing)",
        rows.len()
    ));

    let me = &rows[0];
    let openid = format!("o-demo-{}", task.id);
    table
        .put_student(&Student {
            openid: openid.clone(),
            identity: Some(VerifiedIdentity {
                name: me.name.clone(),
                id_number: me.id_number.clone(),
                verified_at: now,
            }),
            portrait: None,
        })
        .await?;
    say(format!(
        "student verified as {} {} (stored sealed; shown masked)",
        mask_name(&me.name),
        me.id_number.masked()
    ));

    let matches = table.enrollments_by_id_number(&me.id_number).await?;
    let enrollment = matches
        .iter()
        .find(|e| e.task_id == task.id && e.name == me.name)
        .ok_or("the roster has no row for this student")?;
    say(format!(
        "roster row found by blind index: 学号 {}, {}, {}",
        enrollment.student_number,
        enrollment.education_level.name_zh(),
        enrollment.major
    ));

    let student = Actor::Student(openid.clone());
    let (case, created) = Collection::open(
        task.id,
        enrollment.student_number.clone(),
        openid.clone(),
        student.clone(),
        now,
    );
    table.open_collection(&case, &created).await?;
    let (again, again_created) = Collection::open(
        task.id,
        enrollment.student_number.clone(),
        openid,
        student.clone(),
        now,
    );
    let Opened::Existing { id: same, .. } = table.open_collection(&again, &again_created).await?
    else {
        return Err("linking twice opened a second case".into());
    };
    say(format!(
        "case {} opened, {} (linking again returns the same case: {})",
        case.id,
        case.status,
        same == case.id
    ));

    let mut case_steps = Steps {
        table,
        case: case.id,
        now,
        say,
    };

    let order_no = format!("GP{}", case.id);
    case_steps
        .step(
            Command::ConfirmPayment {
                payment: Payment {
                    order_no: order_no.clone(),
                    amount_fen: task.fee_fen,
                    transaction_id: format!("4200{}", now.unix_timestamp()),
                    paid_at: now,
                },
            },
            Actor::PaymentProvider,
        )
        .await?;

    let attempt = AttemptId::new();
    case_steps
        .step(
            Command::StartAttempt {
                attempt_id: attempt,
            },
            student.clone(),
        )
        .await?;
    let photo = b"\xFF\xD8\xFF\xE0 stand-in bytes until the photo engine lands".to_vec();
    let upload = store
        .objects
        .presign_upload(
            UploadKey::Attempt {
                collection: case.id,
                attempt,
            },
            ImageType::Jpeg,
            photo.len() as u64,
        )
        .await?;
    let mut put = reqwest::Client::new().put(&upload.url).body(photo);
    for (name, value) in &upload.headers {
        put = put.header(name, value);
    }
    let status = put.send().await?.status();
    if !status.is_success() {
        return Err(format!("the presigned upload failed: HTTP {status}").into());
    }
    case_steps.say(format!(
        "       uploaded through a presigned PUT (valid until {}): HTTP {status}",
        clock(upload.expires_at)
    ));

    let processor = Actor::System("photo-processor".into());
    case_steps
        .step(
            Command::BeginProcessing {
                attempt_id: attempt,
            },
            processor.clone(),
        )
        .await?;
    case_steps
        .step(
            Command::RecordCheck {
                attempt_id: attempt,
                outcome: CheckOutcome::Passed {
                    review_flags: vec![],
                },
            },
            processor,
        )
        .await?;
    case_steps
        .step(
            Command::Submit {
                attempt_id: attempt,
            },
            student,
        )
        .await?;

    // Two reviewers decide on the same snapshot: exactly one decision is written.
    let current = table.collection(case.id).await?;
    let a = current.apply(
        Command::Approve {
            reviewer: "reviewer-1".into(),
        },
        Actor::Reviewer("reviewer-1".into()),
        now,
    )?;
    let b = current.apply(
        Command::Approve {
            reviewer: "reviewer-2".into(),
        },
        Actor::Reviewer("reviewer-2".into()),
        now,
    )?;
    table.save(&a).await?;
    match table.save(&b).await {
        Err(StoreError::Conflict { .. }) => case_steps.say(format!(
            "  v{:<2} {:<22} {} → {} (reviewer-2's concurrent approval got a conflict)",
            a.next.version,
            "approve",
            a.event.from.map_or("-", |s| s.as_str()),
            a.next.status
        )),
        other => return Err(format!("the second approval should conflict, got {other:?}").into()),
    }

    let batch = BatchId::new();
    let publisher = Actor::System("publisher".into());
    case_steps
        .step(Command::Batch { batch_id: batch }, publisher.clone())
        .await?;
    case_steps
        .step(Command::AcknowledgePublished { batch_id: batch }, publisher)
        .await?;

    case_steps.say("audit trail (never rewritten):".into());
    for event in table.events(case.id).await? {
        case_steps.say(format!(
            "  v{:<2} {} {:<22} {:<16} by {}",
            event.version,
            clock(event.at),
            event.kind(),
            event.to,
            event.actor
        ));
    }
    Ok(Journey {
        task,
        collection: case.id,
    })
}

/// Applies commands to one case and reports each transition.
struct Steps<'a> {
    table: &'a store::Table,
    case: CollectionId,
    now: OffsetDateTime,
    say: &'a mut dyn FnMut(String),
}

impl Steps<'_> {
    fn say(&mut self, line: String) {
        (self.say)(line)
    }

    async fn step(&mut self, command: Command, actor: Actor) -> Result<Collection, Error> {
        let name = command.name();
        let t = self
            .table
            .transition(self.case, command, actor, self.now)
            .await?;
        self.say(transition_line(&t, name, ""));
        Ok(t.next)
    }
}

fn transition_line(t: &domain::Transition, name: &str, note: &str) -> String {
    let from = t.event.from.map_or("-", |s| s.as_str());
    format!(
        "  v{:<2} {name:<22} {from} → {}{note}",
        t.next.version, t.next.status
    )
}

fn clock(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[hour]:[minute]:[second]");
    at.format(&format).unwrap_or_default()
}
