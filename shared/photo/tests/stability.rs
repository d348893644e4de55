//! A check must measure the photo, not noise: its verdict may not change
//! under what leaves the photo's content as it was. A mirror image (the
//! standard is symmetric), a heavily compressed copy (JPEG quality 35, as
//! messaging apps send) and a copy at three quarters of the size each give
//! the same verdict and the same refusing checks as the original.

mod common;

use common::{engine, jpeg, read, repo_fixtures};
use domain::ReasonCode::MultipleFaces;
use image::{RgbImage, imageops};
use photo::report::Status;
use photo::{Profile, matbench};

/// The verdict and the checks that refuse. Where two people of about the
/// same size are in the photo, it is refused for that, and which of them
/// the other checks measured may change with the copy: then only the
/// verdict and that refusal must stay.
fn verdict(bytes: &[u8]) -> (bool, Vec<&'static str>) {
    let o = engine().standardize(bytes, &Profile::default()).unwrap();
    let failing = o
        .report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.check);
    let mut failing: Vec<&'static str> = if o.report.reason_codes().contains(&MultipleFaces) {
        vec!["single_face"]
    } else {
        failing.collect()
    };
    failing.sort();
    (o.report.passed, failing)
}

/// The photos kept in the repository, decoded upright, with the original
/// bytes (so the original is judged exactly as uploaded), and two compliant
/// portraits composited over busy backgrounds (the matting benchmark's):
/// gravel by the ear lobes and a cup rim around the head are where a check
/// measuring texture instead of the student would flip.
fn photos() -> Vec<(String, Vec<u8>, RgbImage)> {
    let mut out = repo_photos();
    for (cut_file, bg_file) in [
        ("pass_frontal_woman_02.png", "bg_gravel.jpg"),
        ("pass_frontal_man_03.png", "bg_coffee.jpg"),
    ] {
        let dir = repo_fixtures().join("matting");
        let cut = image::open(dir.join(cut_file)).unwrap().into_rgba8();
        let bg = image::open(dir.join(bg_file)).unwrap().into_rgb8();
        let case = matbench::Case {
            scale: 1.6,
            left: 0.075,
            top: 0.0,
        };
        let (img, _, _) = matbench::composite(&cut, &bg, &case, Profile::default().background);
        let bytes = jpeg(&img, matbench::PHONE_QUALITY);
        let img = image::load_from_memory(&bytes).unwrap().into_rgb8();
        out.push((format!("{cut_file} over {bg_file}"), bytes, img));
    }
    out
}

fn repo_photos() -> Vec<(String, Vec<u8>, RgbImage)> {
    let dir = repo_fixtures();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|f| f.ends_with(".jpg"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let bytes = read(&dir, &f);
            let img = image::load_from_memory(&bytes).unwrap().into_rgb8();
            (f, bytes, img)
        })
        .collect()
}

#[test]
fn a_mirror_image_gets_the_same_verdict() {
    for (f, bytes, img) in photos() {
        let mirrored = jpeg(&imageops::flip_horizontal(&img), 95);
        assert_eq!(verdict(&mirrored), verdict(&bytes), "{f} mirrored");
    }
}

#[test]
fn a_copy_compressed_to_jpeg_quality_35_gets_the_same_verdict() {
    for (f, bytes, img) in photos() {
        assert_eq!(
            verdict(&jpeg(&img, 35)),
            verdict(&bytes),
            "{f} at quality 35"
        );
    }
}

#[test]
fn a_copy_at_three_quarters_of_the_size_gets_the_same_verdict() {
    for (f, bytes, img) in photos() {
        // Shrinking a photo that is already too small changes what it is.
        if f.contains("low_resolution") {
            continue;
        }
        let (w, h) = (img.width() * 3 / 4, img.height() * 3 / 4);
        let smaller = imageops::resize(&img, w, h, imageops::FilterType::Lanczos3);
        assert_eq!(
            verdict(&jpeg(&smaller, 92)),
            verdict(&bytes),
            "{f} at 3/4 size"
        );
    }
}
