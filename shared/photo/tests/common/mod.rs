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
