//! Batches built from real JPEGs (the photo engine's test fixtures; any JPEG would do).

use chsi::{Batch, Entry};

pub const PHOTOS: [&[u8]; 2] = [
    include_bytes!("../../../photo/tests/fixtures/fail_low_resolution_01.jpg"),
    include_bytes!("../../../photo/tests/fixtures/fail_not_a_person_cat_01.jpg"),
];

/// A case of a student called 张三丰.
pub fn entry(student_number: &str, photo: &[u8]) -> Entry {
    Entry {
        collection_id: format!("C{student_number}"),
        chsi_code: Some(format!("T{student_number}")),
        name: "张三丰".into(),
        masked_id: "440106********1234".into(),
        student_number: student_number.into(),
        school: "中山大学".into(),
        level: "本科".into(),
        photo: photo.to_vec(),
    }
}

/// Two cases of task T1, given in reverse student-number order.
pub fn batch(id: &str) -> Batch {
    Batch {
        id: id.into(),
        task_id: "T1".into(),
        session_code: "44000001".into(),
        entries: vec![entry("2021002", PHOTOS[1]), entry("2021001", PHOTOS[0])],
    }
}
