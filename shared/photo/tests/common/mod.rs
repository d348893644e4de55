//! Shared by the integration tests: one engine per test binary, and where
//! the photos are.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use photo::Engine;

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::load().expect("models load"))
}

/// Photos kept in the repository (licences that allow it).
pub fn repo_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The whole development set, beside the repository as `../shared`. The
/// tests that need it are ignored where it is absent (see `build.rs`); on
/// CI they run and this fails with a clear message.
pub fn shared_fixtures() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/photos");
    assert!(
        dir.join("MANIFEST.csv").is_file(),
        "the development set is missing: expected {} beside the repository",
        dir.display()
    );
    dir
}

pub fn read(dir: &std::path::Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// A photo saved as JPEG at `quality`, as a phone or a messaging app would.
pub fn jpeg(img: &image::RgbImage, quality: u8) -> Vec<u8> {
    photo::encode::jpeg(img, quality).unwrap()
}

/// Where the development set's verdicts are recorded.
pub fn verdicts_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("eval/verdicts.csv")
}

/// The photo a verdict line (see `verdict_line`) is about: its first field.
pub fn file_of(line: &str) -> &str {
    line.split(',').next().unwrap_or_default()
}

/// The verdicts recorded in `eval/verdicts.csv`, by file.
pub fn recorded_verdicts() -> std::collections::BTreeMap<String, String> {
    let path = verdicts_path();
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .skip(1)
        .map(|l| (file_of(l).to_owned(), l.to_owned()))
        .collect()
}

/// Each of `lines` (verdict lines) beside its recorded verdict where they differ.
pub fn changed_verdicts(lines: &[String]) -> Vec<String> {
    let recorded = recorded_verdicts();
    lines
        .iter()
        .filter_map(|line| {
            let was = recorded
                .get(file_of(line))
                .map_or("(not recorded)", String::as_str);
            (was != line).then(|| format!("now {line}\n was {was}"))
        })
        .collect()
}
