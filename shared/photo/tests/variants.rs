//! Synthetic variants of a compliant photo: an object the standard forbids,
//! painted where it would be, must be refused, and stay refused under a
//! mirror and heavy JPEG compression; a bead too short to be a pendant is
//! only flagged; a cap is flagged for the reviewer (headwear is review-only
//! until there are enough real examples), whichever way the copy is made.

mod common;

use common::{engine, jpeg, read, repo_fixtures};
use image::{Rgb, RgbImage, imageops};
use photo::Profile;
use photo::landmarks::idx;
use photo::report::Status;

/// The compliant London Set portrait at half size (a face about 230 px
/// wide, as a phone's portrait crop has it).
fn portrait() -> RgbImage {
    let img = image::load_from_memory(&read(&repo_fixtures(), "pass_frontal_woman_02.jpg"))
        .unwrap()
        .into_rgb8();
    imageops::resize(&img, 675, 675, imageops::FilterType::Lanczos3)
}

/// A gold drop `length` face widths long and 0.05 wide, shaded like metal,
/// hanging plumb from just below the image-left ear lobe.
fn with_pendant(img: &RgbImage, length: f32) -> RgbImage {
    let mesh = engine().find_face(img).unwrap().expect("a face");
    let fw = mesh.face_width();
    let lobe = mesh.xy(idx::LOBE_LEFT);
    let (cx, top) = (lobe[0] - 0.07 * fw, lobe[1] + 0.02 * fw);
    let (half_w, len) = (0.025 * fw, length * fw);
    let mut out = img.clone();
    for (x, y, px) in out.enumerate_pixels_mut() {
        let (dx, dy) = ((x as f32 - cx) / half_w, (y as f32 - top) / len);
        if (0.0..=1.0).contains(&dy) && dx.abs() <= 1.0 {
            let shade = 1.0 - 0.35 * dx.abs();
            *px = Rgb([212.0 * shade, 170.0 * shade, 60.0 * shade].map(|c| c as u8));
        }
    }
    out
}

fn earring_status(bytes: &[u8]) -> (bool, Status) {
    let o = engine().standardize(bytes, &Profile::default()).unwrap();
    (
        o.report.passed,
        o.report.check("no_earrings").unwrap().status,
    )
}

#[test]
fn a_pendant_painted_below_the_lobe_is_refused_however_the_copy_is_made() {
    let base = portrait();
    assert_eq!(earring_status(&jpeg(&base, 92)), (true, Status::Pass));
    let img = with_pendant(&base, 0.15);
    for (what, bytes) in [
        ("as painted", jpeg(&img, 92)),
        ("mirrored", jpeg(&imageops::flip_horizontal(&img), 92)),
        ("at JPEG quality 35", jpeg(&img, 35)),
    ] {
        assert_eq!(earring_status(&bytes), (false, Status::Fail), "{what}");
    }
}

#[test]
fn a_bead_shorter_than_a_pendant_is_only_flagged() {
    // 0.05 face widths (about 7 mm): past the 0.03 flag, short of 0.07.
    let img = with_pendant(&portrait(), 0.05);
    assert_eq!(earring_status(&jpeg(&img, 92)), (true, Status::Review));
}

/// A red cap: a dome from just above the hairline over the crown, 1.24 face
/// widths across, shaded toward its rim.
fn with_cap(img: &RgbImage) -> RgbImage {
    let mesh = engine().find_face(img).unwrap().expect("a face");
    let fw = mesh.face_width();
    let top = mesh.xy(idx::FOREHEAD);
    let (cx, rim) = (top[0], top[1] - 0.03 * fw);
    let (half_w, height) = (0.62 * fw, 0.6 * fw);
    let mut out = img.clone();
    for (x, y, px) in out.enumerate_pixels_mut() {
        let (dx, dy) = ((x as f32 - cx) / half_w, (rim - y as f32) / height);
        if dy >= 0.0 && dx * dx + dy * dy <= 1.0 {
            let shade = 0.75 + 0.25 * dy;
            *px = Rgb([190.0 * shade, 35.0 * shade, 45.0 * shade].map(|c| c as u8));
        }
    }
    out
}

#[test]
fn a_cap_painted_over_the_crown_is_flagged_however_the_copy_is_made() {
    let headwear = |bytes: &[u8]| {
        let o = engine().standardize(bytes, &Profile::default()).unwrap();
        o.report.check("headwear").unwrap().status
    };
    let base = portrait();
    assert_eq!(headwear(&jpeg(&base, 92)), Status::Pass);
    let img = with_cap(&base);
    for (what, bytes) in [
        ("as painted", jpeg(&img, 92)),
        ("mirrored", jpeg(&imageops::flip_horizontal(&img), 92)),
        ("at JPEG quality 35", jpeg(&img, 35)),
    ] {
        assert_eq!(headwear(&bytes), Status::Review, "{what}");
    }
}
