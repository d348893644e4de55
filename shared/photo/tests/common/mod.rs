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

/// The whole development set, beside the repository as `../shared`, when
/// this machine has it. Tests that need it say so and pass without it.
pub fn shared_fixtures() -> Option<PathBuf> {
    let beside_repo =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/photos");
    let candidates = [beside_repo, PathBuf::from("/work/shared/fixtures/photos")];
    let found = candidates
        .into_iter()
        .find(|p| p.join("MANIFEST.csv").is_file());
    if found.is_none() {
        println!(
            "../shared/fixtures/photos is absent: skipping the checks on the whole development set"
        );
    }
    found
}

pub fn read(dir: &std::path::Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}
