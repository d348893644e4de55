//! Data for a local stack the console can be tried on (and its browser tests run against):
//! tasks whose cases reached review the real way, through the API and the photo processor, and
//! one large queue loaded in bulk.

use domain::face::SAME_PERSON_MAX_DISTANCE;
use domain::{
    Actor, AttemptId, Collection, CollectionId, EducationLevel, Enrollment, FaceGap, FaceMatch,
    IdNumber, ReasonCode, TaskId,
};
use localstack::fixtures::{Submission, paid_to_submitted};
use serde::Serialize;
use store::Store;
use time::{Duration, OffsetDateTime};

use serde_json::json;

use crate::{Body, Error, Functions, text};

const SURNAMES: [&str; 10] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];
const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳"];

/// Someone on a made-up roster: a student number, a name and an ID number with a valid check
/// character (GB 11643) that nobody real has.
#[derive(Debug, Clone)]
pub struct Person {
    pub student_number: String,
    pub name: String,
    pub id_number: String,
    pub major: String,
}

/// The `n`th person of a roster whose student numbers start with `prefix`.
pub fn person(prefix: &str, n: u32) -> Person {
    let name = format!(
        "{}{}{}",
        SURNAMES[(n % 10) as usize],
        GIVEN[(n / 10 % 10) as usize],
        GIVEN[(n / 100 % 10) as usize]
    );
    let birthday = format!("2003{:02}{:02}", n % 12 + 1, n % 28 + 1);
    let body = format!("440106{birthday}{:03}", n % 1000);
    Person {
        student_number: format!("{prefix}{n:04}"),
        name,
        id_number: IdNumber::complete(&body).expect("17 digits"),
        major: "软件工程".into(),
    }
}

/// A roster file as schools send it (Chinese headers).
pub fn roster_csv(people: &[Person]) -> String {
    let mut csv = String::from("学号,姓名,身份证号,专业\n");
    for p in people {
        csv.push_str(&format!(
            "{},{},{},{}\n",
            p.student_number, p.name, p.id_number, p.major
        ));
    }
    csv
}

/// A case that reached review through the API, with its student's session.
#[derive(Debug, Clone, Serialize)]
pub struct SeededCase {
    pub collection_id: String,
    pub student_number: String,
    pub student_token: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeededTask {
    pub task_id: String,
    pub school: String,
    pub cases: Vec<SeededCase>,
}

/// A task of `school` whose students (people `first` to `first + students - 1`, so that tasks
/// seeded with other ranges hold other people: an identity belongs to one account) each
/// verified, linked, paid, uploaded the real photo and submitted it: every case waits for
/// review with its three photos, report and face match.
pub async fn task_in_review(
    fns: &Functions,
    school: &str,
    first: u32,
    students: u32,
    now: OffsetDateTime,
) -> Result<SeededTask, Error> {
    cases_in_review(fns, school, first, students, false, now).await
}

/// As [`task_in_review`], each student having ordered printed photos with the payment
/// (their address given first), and each case then approved by a reviewer: the prints wait
/// for an operator's print batch.
pub async fn task_with_prints(
    fns: &Functions,
    school: &str,
    first: u32,
    students: u32,
    now: OffsetDateTime,
) -> Result<SeededTask, Error> {
    let task = cases_in_review(fns, school, first, students, true, now).await?;
    let reviewer = fns.api.reviewer_token("reviewer-seed");
    for case in &task.cases {
        for step in ["claim", "approve"] {
            let path = format!("/v1/review/cases/{}/{step}", case.collection_id);
            fns.api
                .send_review("POST", &path, &reviewer, Body::None)
                .await?
                .expect(200)?;
        }
    }
    Ok(task)
}

async fn cases_in_review(
    fns: &Functions,
    school: &str,
    first: u32,
    students: u32,
    prints: bool,
    now: OffsetDateTime,
) -> Result<SeededTask, Error> {
    let api = &fns.api;
    let code = format!("{:08}", ulid::Ulid::new().random() % 100_000_000);
    let task = api.create_task(school, &code, now).await?;
    let task_id = text(&task["id"])?.to_owned();
    let prefix = &code[..4];
    let people: Vec<Person> = (first..first + students)
        .map(|n| person(prefix, n))
        .collect();
    api.import_roster(&task_id, &roster_csv(&people)).await?;
    let mut cases = Vec::new();
    for p in &people {
        let openid = format!("o-seed-{task_id}-{}", p.student_number);
        let token = api.login(&openid).await?;
        api.verify_identity(&fns.photos, &token, &p.name, &p.id_number)
            .await?;
        let linked = api.link_by_roster(&token).await?;
        let case_id: CollectionId = text(&linked["collections"][0]["collection"]["id"])?.parse()?;
        if prints {
            api.put_address(&token, case_id, &p.name).await?;
        }
        api.pay_case_with(&token, case_id, prints).await?;
        let (attempt, _) = api.upload_photo(&token, case_id).await?;
        fns.photos.process(1).await?;
        api.submit(&token, case_id, attempt).await?;
        cases.push(SeededCase {
            collection_id: case_id.to_string(),
            student_number: p.student_number.clone(),
            student_token: token,
        });
    }
    Ok(SeededTask {
        task_id,
        school: school.to_owned(),
        cases,
    })
}

/// `n` more cases waiting in `task`'s queue, submitted over the last 60 hours (some past the
/// 48-hour promise), with a mix of face-match verdicts and flags. Loaded in bulk, as if each
/// had lived through its events; they have no photos, so they are for the queue's pages.
pub async fn large_queue(
    store: &Store,
    task: TaskId,
    school: &str,
    n: u32,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let people: Vec<Person> = (1..=n).map(|i| person("2026", i)).collect();
    let enrollments: Vec<Enrollment> = people
        .iter()
        .map(|p| {
            Ok(Enrollment {
                task_id: task,
                student_number: p.student_number.clone(),
                name: p.name.clone(),
                id_number: IdNumber::parse(&p.id_number, now.date())?,
                school: school.to_owned(),
                education_level: EducationLevel::Bachelor,
                major: p.major.clone(),
                chsi_code: None,
            })
        })
        .collect::<Result<_, domain::IdNumberError>>()?;
    store.table.put_enrollments(&enrollments).await?;
    let mut cases = Vec::with_capacity(people.len());
    for (i, p) in people.iter().enumerate() {
        let submitted = now - Duration::minutes(60 * 60 * i as i64 / n.max(1) as i64);
        cases.push(lived_until_review(task, p, i, submitted)?);
    }
    store.table.bulk_load_cases(&cases).await?;
    Ok(())
}

/// A case of `person` that was paid, passed its check and was submitted at `at`.
fn lived_until_review(
    task: TaskId,
    person: &Person,
    i: usize,
    at: OffsetDateTime,
) -> Result<(Collection, Vec<domain::Event>), Error> {
    let openid = format!("o-bulk-{task}-{}", person.student_number);
    let face_match = match i % 10 {
        0 => FaceMatch::Unavailable {
            gap: FaceGap::NoPortrait,
        },
        1 => FaceMatch::Different {
            distance: 0.71,
            threshold: SAME_PERSON_MAX_DISTANCE,
        },
        _ => FaceMatch::Same {
            distance: 0.3 + (i % 7) as f32 / 100.0,
            threshold: SAME_PERSON_MAX_DISTANCE,
        },
    };
    let submission = Submission {
        attempt: AttemptId::new(),
        review_flags: if i.is_multiple_of(4) {
            vec![ReasonCode::UnevenLighting]
        } else {
            Vec::new()
        },
        face_match: Some(face_match),
    };
    let (mut case, created) = Collection::open(
        task,
        person.student_number.clone(),
        openid.clone(),
        Actor::Student,
        at - Duration::minutes(30),
    );
    let mut events = vec![created];
    let steps = paid_to_submitted(submission, at);
    for (command, actor) in steps {
        let t = case.apply(command, actor, at)?;
        events.push(t.event);
        case = t.next;
    }
    Ok((case, events))
}

/// Requests waiting for an operator, filed the real way through the API: a student who moved
/// to a new WeChat account asks for their identity (their case, paid, waits for a photo), and
/// a student whose row the school mistyped asks for it. People from `first` on.
#[derive(Debug, Clone, Serialize)]
pub struct SeededRequests {
    pub task_id: String,
    pub transfer: SeededRequest,
    pub link: SeededRequest,
    pub erasure: SeededRequest,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeededRequest {
    pub request_id: String,
    /// The session of the account asking.
    pub student_token: String,
    pub student_number: String,
    /// The case that moves with a transfer.
    pub collection_id: Option<String>,
}

pub async fn requests(
    fns: &Functions,
    school: &str,
    first: u32,
    now: OffsetDateTime,
) -> Result<SeededRequests, Error> {
    let api = &fns.api;
    let code = format!("{:08}", ulid::Ulid::new().random() % 100_000_000);
    let task = api.create_task(school, &code, now).await?;
    let task_id = text(&task["id"])?.to_owned();
    let prefix = &code[..4];
    let (mover, typo, leaver) = (
        person(prefix, first),
        person(prefix, first + 1),
        person(prefix, first + 2),
    );
    // The school's file has one digit of the second person's number wrong.
    let mut mistyped = typo.clone();
    let body = &typo.id_number[..17];
    let last = if body.ends_with('9') { '8' } else { '9' };
    mistyped.id_number = IdNumber::complete(&format!("{}{last}", &body[..16])).expect("17 digits");
    api.import_roster(
        &task_id,
        &roster_csv(&[mover.clone(), mistyped, leaver.clone()]),
    )
    .await?;

    let old = api.login(&format!("o-seed-{task_id}-old-phone")).await?;
    api.verify_identity(&fns.photos, &old, &mover.name, &mover.id_number)
        .await?;
    let linked = api.link_by_roster(&old).await?;
    let case_id: CollectionId = text(&linked["collections"][0]["collection"]["id"])?.parse()?;
    api.pay_case(&old, case_id).await?;
    let new = api.login(&format!("o-seed-{task_id}-new-phone")).await?;
    let asked = api
        .send(
            "POST",
            "/v1/identity/transfer-requests",
            Some(&new),
            Body::Json(json!({
                "name": mover.name,
                "id_number": mover.id_number,
                "consent": {
                    "notice_version": domain::privacy::current().version,
                    "purposes": ["identity_check", "face_photo", "face_comparison"],
                },
            })),
        )
        .await?
        .expect(202)?;
    let transfer = SeededRequest {
        request_id: text(&asked["request_id"])?.to_owned(),
        student_token: new,
        student_number: mover.student_number,
        collection_id: Some(case_id.to_string()),
    };

    let student = api.login(&format!("o-seed-{task_id}-typo")).await?;
    api.verify_identity(&fns.photos, &student, &typo.name, &typo.id_number)
        .await?;
    let asked = api
        .send(
            "POST",
            "/v1/links/confirmation-requests",
            Some(&student),
            Body::Json(json!({"session_code": code, "student_number": typo.student_number})),
        )
        .await?
        .expect(202)?;
    let link = SeededRequest {
        request_id: text(&asked["request_id"])?.to_owned(),
        student_token: student,
        student_number: typo.student_number,
        collection_id: None,
    };
    // A student who linked their row, then asks for their data to be erased.
    let student = api.login(&format!("o-seed-{task_id}-leaver")).await?;
    api.verify_identity(&fns.photos, &student, &leaver.name, &leaver.id_number)
        .await?;
    let linked = api.link_by_roster(&student).await?;
    let case_id = text(&linked["collections"][0]["collection"]["id"])?.to_owned();
    let asked = api
        .send(
            "POST",
            "/v1/me/erasure",
            Some(&student),
            Body::Json(json!({"confirm": true})),
        )
        .await?
        .expect(202)?;
    let erasure = SeededRequest {
        request_id: text(&asked["request_id"])?.to_owned(),
        student_token: student,
        student_number: leaver.student_number,
        collection_id: Some(case_id),
    };
    Ok(SeededRequests {
        task_id,
        transfer,
        link,
        erasure,
    })
}
