//! One publish batch as a zip: `manifest.csv` first, then `photos/<学号>.jpg` per case.
//!
//! Building is deterministic (fixed timestamps and permissions, cases in student-number order),
//! so a batch retried after a failed delivery yields the very same bytes and checksum, and the
//! receiver can tell a retry from a different batch.

use std::collections::HashSet;
use std::fmt;
use std::io::{Cursor, Read, Write};

use sha2::{Digest, Sha256};
use zip::result::ZipError;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipArchive, ZipWriter};

use crate::manifest::{self, ManifestRow};

const MANIFEST_FILE: &str = "manifest.csv";

/// Start of every JPEG: SOI (FF D8) followed by the first marker's FF.
const JPEG_SOI: &[u8] = &[0xFF, 0xD8, 0xFF];

/// One approved case.
pub struct Entry {
    pub collection_id: String,
    /// 学信网图像采集码, when known.
    pub chsi_code: Option<String>,
    /// Personal data: goes into the archive only, never into errors or logs.
    pub name: String,
    /// Already masked by the caller, e.g. `440106********1234`.
    pub masked_id: String,
    /// 学号, unique within a task; names the photo file.
    pub student_number: String,
    pub school: String,
    /// 学历层次 in Chinese, e.g. 本科.
    pub level: String,
    /// The standardised 480×640 JPEG.
    pub photo: Vec<u8>,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("collection_id", &self.collection_id)
            .field("student_number", &self.student_number)
            .field("name", &"<redacted>")
            .field("photo_bytes", &self.photo.len())
            .finish_non_exhaustive()
    }
}

/// The approved cases of one collection task that go out together.
#[derive(Debug)]
pub struct Batch {
    pub id: String,
    pub task_id: String,
    /// 采集场次编码 of the task's session.
    pub session_code: String,
    pub entries: Vec<Entry>,
}

/// An archive's photos as `(photo_file, bytes)`, in manifest order.
pub type Photos = Vec<(String, Vec<u8>)>;

/// A built batch, ready for a gateway.
pub struct Archive {
    pub batch_id: String,
    pub task_id: String,
    /// `<batch_id>.zip`.
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-256 of `bytes`.
    pub sha256: String,
    /// The rows of `manifest.csv`, in archive order.
    pub manifest: Vec<ManifestRow>,
}

/// The bytes hold names, so debug output shows only their size and checksum.
impl fmt::Debug for Archive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Archive")
            .field("batch_id", &self.batch_id)
            .field("task_id", &self.task_id)
            .field("file_name", &self.file_name)
            .field("size", &self.bytes.len())
            .field("sha256", &self.sha256)
            .field("entries", &self.manifest.len())
            .finish()
    }
}

/// Why a batch cannot be archived, or an archive not read back. Messages name cases by
/// collection id or student number, never by name or photo.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("batch {batch_id} has no cases")]
    Empty { batch_id: String },
    #[error("{field} {value:?} is not safe in a file name (only ASCII letters, digits, '-', '_')")]
    UnsafeId { field: &'static str, value: String },
    #[error("case {collection_id}: the student number is not safe in a file name")]
    UnsafeStudentNumber { collection_id: String },
    #[error("batch {batch_id}: student number {student_number} appears more than once")]
    DuplicateStudentNumber {
        batch_id: String,
        student_number: String,
    },
    #[error("case {collection_id}: the photo is not a JPEG")]
    NotJpeg { collection_id: String },
    /// csv's own message may quote a field, so only the line is kept.
    #[error("manifest.csv cannot be written or read (line {line:?})")]
    Manifest { line: Option<u64> },
    #[error("the archive has no {MANIFEST_FILE}")]
    NoManifest,
    #[error("{file} is listed in the manifest but not in the archive")]
    MissingPhoto { file: String },
    #[error("{file} is in the archive but not in the manifest")]
    UnlistedFile { file: String },
    #[error("{file} does not match its SHA-256 in the manifest")]
    ChecksumMismatch { file: String },
    #[error("zip: {0}")]
    Zip(#[from] ZipError),
}

impl From<csv::Error> for ArchiveError {
    fn from(error: csv::Error) -> Self {
        Self::Manifest {
            line: error.position().map(csv::Position::line),
        }
    }
}

impl Archive {
    /// Packs `batch`; refuses an empty batch, unsafe ids or student numbers, duplicate student
    /// numbers and photos that are not JPEGs.
    pub fn build(batch: &Batch) -> Result<Archive, ArchiveError> {
        check_id("batch id", &batch.id)?;
        check_id("task id", &batch.task_id)?;
        if batch.entries.is_empty() {
            return Err(ArchiveError::Empty {
                batch_id: batch.id.clone(),
            });
        }
        let mut entries: Vec<&Entry> = batch.entries.iter().collect();
        entries.sort_by(|a, b| a.student_number.cmp(&b.student_number));
        for entry in &entries {
            check_entry(entry)?;
        }
        if let Some(pair) = entries
            .windows(2)
            .find(|pair| pair[0].student_number == pair[1].student_number)
        {
            return Err(ArchiveError::DuplicateStudentNumber {
                batch_id: batch.id.clone(),
                student_number: pair[0].student_number.clone(),
            });
        }

        let manifest: Vec<ManifestRow> = entries.iter().map(|e| manifest_row(e)).collect();
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        add_file(&mut zip, MANIFEST_FILE, &manifest::write(&manifest)?)?;
        for (entry, row) in entries.iter().zip(&manifest) {
            add_file(&mut zip, &row.photo_file, &entry.photo)?;
        }
        let bytes = zip.finish()?.into_inner();
        Ok(Archive {
            batch_id: batch.id.clone(),
            task_id: batch.task_id.clone(),
            file_name: format!("{}.zip", batch.id),
            sha256: sha256_hex(&bytes),
            bytes,
            manifest,
        })
    }

    /// The manifest and the photos of an archive, each photo checked against its SHA-256 in
    /// the manifest, and nothing in the archive that the manifest does not list.
    pub fn read(bytes: &[u8]) -> Result<(Vec<ManifestRow>, Photos), ArchiveError> {
        let mut zip = ZipArchive::new(Cursor::new(bytes))?;
        let manifest_file = read_file(&mut zip, MANIFEST_FILE)?.ok_or(ArchiveError::NoManifest)?;
        let manifest = manifest::read(&manifest_file)?;

        let mut photos = Vec::with_capacity(manifest.len());
        for row in &manifest {
            let missing = || ArchiveError::MissingPhoto {
                file: row.photo_file.clone(),
            };
            let photo = read_file(&mut zip, &row.photo_file)?.ok_or_else(missing)?;
            if sha256_hex(&photo) != row.sha256 {
                return Err(ArchiveError::ChecksumMismatch {
                    file: row.photo_file.clone(),
                });
            }
            photos.push((row.photo_file.clone(), photo));
        }

        let listed: HashSet<&str> = manifest
            .iter()
            .map(|row| row.photo_file.as_str())
            .chain([MANIFEST_FILE])
            .collect();
        for file in zip.file_names() {
            let file = file?;
            if !listed.contains(file.as_ref()) {
                return Err(ArchiveError::UnlistedFile {
                    file: file.into_owned(),
                });
            }
        }
        Ok((manifest, photos))
    }
}

/// Lowercase hex SHA-256.
fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Ids and student numbers become file names, object keys and URL path segments: keeping them
/// to this alphabet rules out traversal (`../`), escaping and case-folding surprises.
fn is_safe_name(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_id(field: &'static str, value: &str) -> Result<(), ArchiveError> {
    if is_safe_name(value) {
        Ok(())
    } else {
        Err(ArchiveError::UnsafeId {
            field,
            value: value.to_owned(),
        })
    }
}

fn check_entry(entry: &Entry) -> Result<(), ArchiveError> {
    let collection_id = || entry.collection_id.clone();
    if !is_safe_name(&entry.student_number) {
        return Err(ArchiveError::UnsafeStudentNumber {
            collection_id: collection_id(),
        });
    }
    if !entry.photo.starts_with(JPEG_SOI) {
        return Err(ArchiveError::NotJpeg {
            collection_id: collection_id(),
        });
    }
    Ok(())
}

fn manifest_row(entry: &Entry) -> ManifestRow {
    ManifestRow {
        chsi_code: entry.chsi_code.clone(),
        name: crate::manifest::inert(&entry.name),
        masked_id: entry.masked_id.clone(),
        student_number: entry.student_number.clone(),
        school: crate::manifest::inert(&entry.school),
        level: entry.level.clone(),
        photo_file: format!("photos/{}.jpg", entry.student_number),
        sha256: sha256_hex(&entry.photo),
        collection_id: entry.collection_id.clone(),
    }
}

/// Adds a file with fixed metadata: stored (JPEGs do not shrink, and the receiver needs no
/// inflater), dated 1980-01-01 and 0644 from "Unix" whatever the clock and the host, so the
/// same batch gives the same bytes.
fn add_file(
    zip: &mut ZipWriter<Cursor<Vec<u8>>>,
    name: &str,
    contents: &[u8],
) -> Result<(), ZipError> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(DateTime::DEFAULT)
        .system(System::Unix)
        .unix_permissions(0o644);
    zip.start_file(name, options)?;
    zip.write_all(contents)?;
    Ok(())
}

/// A file's contents, or `None` when the archive has no such file.
fn read_file(zip: &mut ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Option<Vec<u8>>, ZipError> {
    let mut file = match zip.by_name(name) {
        Ok(file) => file,
        Err(ZipError::FileNotFound) => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut contents = Vec::new();
    file.read_to_end(&mut contents)?;
    Ok(Some(contents))
}
