//! Tell the development-set tests whether `../shared/fixtures/photos` (the
//! team's labelled photos, beside the repository) is on this machine: where
//! it is absent they are marked ignored, so `cargo test` shows them as not
//! run rather than passed. On CI (`CI` set) they always run, and fail with a
//! clear message when the photos are missing.

use std::path::Path;

fn main() {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let photos = beside.join("shared/fixtures/photos");
    println!(
        "cargo::rerun-if-changed={}",
        photos.join("MANIFEST.csv").display()
    );
    // The folder beside the repository changes when `shared` appears or goes
    // away; the manifest alone may keep an mtime older than the last build
    // when the folder is copied back, and the tests would stay ignored.
    println!("cargo::rerun-if-changed={}", beside.display());
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(no_shared_photos)");
    if !photos.join("MANIFEST.csv").is_file() && std::env::var_os("CI").is_none() {
        println!("cargo::rustc-cfg=no_shared_photos");
    }
}
