mod common;

use std::io::{Cursor, Read, Write};

use chsi::{Archive, ArchiveError};
use common::{PHOTOS, batch, entry};
use sha2::{Digest, Sha256};
use zip::{CompressionMethod, ZipArchive, ZipWriter};

fn hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn zip_file(archive: &[u8], name: &str) -> Vec<u8> {
    let mut zip = ZipArchive::new(Cursor::new(archive)).unwrap();
    let mut contents = Vec::new();
    zip.by_name(name)
        .unwrap()
        .read_to_end(&mut contents)
        .unwrap();
    contents
}

#[test]
fn reading_an_archive_gives_back_its_manifest_and_photos() {
    let archive = Archive::build(&batch("B1")).unwrap();

    let (manifest, photos) = Archive::read(&archive.bytes).unwrap();

    assert_eq!(manifest, archive.manifest);
    assert_eq!(
        photos,
        vec![
            ("photos/2021001.jpg".to_owned(), PHOTOS[0].to_vec()),
            ("photos/2021002.jpg".to_owned(), PHOTOS[1].to_vec()),
        ]
    );
    let first = &manifest[0];
    assert_eq!(first.chsi_code.as_deref(), Some("T2021001"));
    assert_eq!(first.name, "张三丰");
    assert_eq!(first.masked_id, "440106********1234");
    assert_eq!(first.student_number, "2021001");
    assert_eq!(first.school, "中山大学");
    assert_eq!(first.level, "本科");
    assert_eq!(first.photo_file, "photos/2021001.jpg");
    assert_eq!(first.sha256, hex(PHOTOS[0]));
    assert_eq!(first.collection_id, "C2021001");
    assert_eq!(manifest[1].sha256, hex(PHOTOS[1]));
    assert_eq!(archive.file_name, "B1.zip");
    assert_eq!(archive.sha256, hex(&archive.bytes));
}

#[test]
fn an_unknown_chsi_code_is_an_empty_column() {
    let mut batch = batch("B1");
    batch.entries[0].chsi_code = None;
    let archive = Archive::build(&batch).unwrap();

    let (manifest, _) = Archive::read(&archive.bytes).unwrap();

    assert_eq!(manifest[1].student_number, "2021002");
    assert_eq!(manifest[1].chsi_code, None);
    let csv = String::from_utf8(zip_file(&archive.bytes, "manifest.csv")).unwrap();
    assert!(csv.contains("\r\n,张三丰,"), "{csv}");
}

#[test]
fn manifest_is_utf8_with_bom_for_excel_and_has_the_chinese_header() {
    let archive = Archive::build(&batch("B1")).unwrap();

    let csv = zip_file(&archive.bytes, "manifest.csv");

    let text = csv.strip_prefix(b"\xEF\xBB\xBF").expect("a UTF-8 BOM");
    let text = std::str::from_utf8(text).unwrap();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "图像采集码,姓名,身份证号(脱敏),学号,学校,学历层次,照片文件,SHA256,案件编号"
    );
    assert_eq!(
        lines[1],
        format!(
            "T2021001,张三丰,440106********1234,2021001,中山大学,本科,photos/2021001.jpg,{},C2021001",
            hex(PHOTOS[0])
        )
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn photos_are_stored_uncompressed_in_student_number_order() {
    let archive = Archive::build(&batch("B1")).unwrap();

    let mut zip = ZipArchive::new(Cursor::new(&archive.bytes)).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();

    assert_eq!(
        names,
        ["manifest.csv", "photos/2021001.jpg", "photos/2021002.jpg"]
    );
    for i in 0..zip.len() {
        assert_eq!(
            zip.by_index(i).unwrap().compression(),
            CompressionMethod::Stored
        );
    }
}

#[test]
fn the_same_batch_always_builds_the_same_bytes() {
    let first = Archive::build(&batch("B1")).unwrap();
    let mut reordered = batch("B1");
    reordered.entries.reverse();

    let second = Archive::build(&reordered).unwrap();

    assert_eq!(first.bytes, second.bytes);
    assert_eq!(first.sha256, second.sha256);
}

#[test]
fn an_empty_batch_is_refused() {
    let mut batch = batch("B1");
    batch.entries.clear();

    let error = Archive::build(&batch).unwrap_err();

    assert!(matches!(error, ArchiveError::Empty { batch_id } if batch_id == "B1"));
}

#[test]
fn a_student_number_twice_in_a_batch_is_refused() {
    let mut batch = batch("B1");
    batch.entries.push(entry("2021001", PHOTOS[1]));

    let error = Archive::build(&batch).unwrap_err();

    assert!(matches!(
        error,
        ArchiveError::DuplicateStudentNumber { student_number, .. } if student_number == "2021001"
    ));
}

#[test]
fn a_photo_that_is_not_a_jpeg_is_refused_without_quoting_the_case() {
    let mut batch = batch("B1");
    batch.entries[1].photo = b"\x89PNG\r\n\x1a\n....".to_vec();

    let error = Archive::build(&batch).unwrap_err();

    assert!(matches!(
        &error,
        ArchiveError::NotJpeg { collection_id } if collection_id == "C2021001"
    ));
    let message = format!("{error} {error:?}");
    assert!(!message.contains("张三丰"), "{message}");
    assert!(!message.contains("PNG"), "{message}");
}

#[test]
fn a_student_number_unsafe_as_a_file_name_is_refused() {
    for unsafe_number in ["../2021001", "2021 001", "学号1", "2021.001", ""] {
        let mut batch = batch("B1");
        batch.entries[0].student_number = unsafe_number.into();

        let error = Archive::build(&batch).unwrap_err();

        assert!(
            matches!(&error, ArchiveError::UnsafeStudentNumber { collection_id } if collection_id == "C2021002"),
            "{unsafe_number:?}: {error}"
        );
    }
}

#[test]
fn a_batch_id_unsafe_in_an_object_key_is_refused() {
    let error = Archive::build(&batch("../B1")).unwrap_err();

    assert!(matches!(
        error,
        ArchiveError::UnsafeId {
            field: "batch id",
            ..
        }
    ));
}

#[test]
fn reading_refuses_a_photo_that_does_not_match_its_checksum() {
    // B1's manifest beside B2's photos, where each student has the other's photo.
    let b1 = Archive::build(&batch("B1")).unwrap();
    let mut swapped = batch("B2");
    swapped.entries[0].photo = PHOTOS[0].to_vec();
    swapped.entries[1].photo = PHOTOS[1].to_vec();
    let b2 = Archive::build(&swapped).unwrap();
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, source) in [
        ("manifest.csv", &b1),
        ("photos/2021001.jpg", &b2),
        ("photos/2021002.jpg", &b2),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(&zip_file(&source.bytes, name)).unwrap();
    }
    let forged = zip.finish().unwrap().into_inner();

    let error = Archive::read(&forged).unwrap_err();

    assert!(matches!(
        error,
        ArchiveError::ChecksumMismatch { file } if file == "photos/2021001.jpg"
    ));
}

#[test]
fn debug_output_leaves_the_name_out() {
    let archive = Archive::build(&batch("B1")).unwrap();

    let printed = format!("{archive:?} {:?} {:?}", archive.manifest, batch("B1"));

    assert!(!printed.contains("张三丰"), "{printed}");
}
