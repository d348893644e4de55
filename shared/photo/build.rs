//! Tell the development-set tests whether `../shared/fixtures/photos` (the
//! team's labelled photos, beside the repository) is on this machine: where
//! it is absent they are marked ignored, so `cargo test` shows them as not
//! run rather than passed. On CI (`CI` set) they always run, and fail with a
//! clear message when the photos are missing.

use std::path::Path;

fn main() {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let photos = beside.join("shared/fixtures/photos");
    // Cargo scans a watched folder recursively for its newest file, and a
    // watched path that does not exist counts as changed on every build.
    // Watching the folder beside the repository (it holds this checkout and
    // its target dir) re-ran this script, and recompiled the engine and all
    // that depends on it, after every build: so only the photos are watched,
    // while they are there. Without them nothing beside is watched, and the
    // build says how to pick them up once they arrive.
    if photos.is_dir() {
        println!("cargo::rerun-if-changed={}", photos.display());
    } else {
        println!("cargo::rerun-if-changed=build.rs");
        println!(
            "cargo::warning=../shared/fixtures/photos is absent: the development-set tests are ignored (after adding it, touch shared/photo/build.rs)"
        );
    }
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(no_shared_photos)");
    if !photos.join("MANIFEST.csv").is_file() && std::env::var_os("CI").is_none() {
        println!("cargo::rustc-cfg=no_shared_photos");
    }
}
