//! Builders shared by the store's tests.

#![allow(dead_code)]

use domain::{
    Actor, Collection, CollectionTask, EducationLevel, Enrollment, Event, IdNumber, NewTask,
    PhotoProfile, RosterRow, SessionCode, TaskId,
};
use time::OffsetDateTime;
use time::macros::datetime;

pub const NOW: OffsetDateTime = datetime!(2026-06-01 08:00 UTC);

pub fn task(session_code: &str) -> CollectionTask {
    CollectionTask::create(NewTask {
        session_code: SessionCode::parse(session_code).unwrap(),
        school: "华南理工大学".into(),
        education_level: EducationLevel::Bachelor,
        graduation_year: 2026,
        fee_fen: 3000,
        profile: PhotoProfile::default(),
        print: None,
        opens_at: datetime!(2026-03-01 00:00 UTC),
        closes_at: datetime!(2026-07-01 00:00 UTC),
    })
    .unwrap()
}

/// A valid ID number born on 2004-05-17 in 广州市天河区, with `seq` as its sequence code.
pub fn id_number(seq: u16) -> IdNumber {
    IdNumber::parse(
        &IdNumber::complete(&format!("44010620040517{seq:03}")).unwrap(),
        time::macros::date!(2026 - 06 - 01),
    )
    .unwrap()
}

pub fn enrollment(task: TaskId, student_number: &str, name: &str, id: &IdNumber) -> Enrollment {
    Enrollment::from_row(
        task,
        &RosterRow {
            student_number,
            name,
            id_number: id.as_str(),
            school: "华南理工大学",
            education_level: EducationLevel::Bachelor,
            major: "计算机科学与技术",
            chsi_code: "",
        },
        time::macros::date!(2026 - 06 - 01),
    )
    .unwrap()
}

pub fn case(task: TaskId, student_number: &str) -> (Collection, Event) {
    Collection::open(
        task,
        student_number.into(),
        "o-openid-1".into(),
        Actor::Student,
        NOW,
    )
}
