//! The matting benchmark, small: ground-truth cut-outs (`tests/fixtures/
//! matting`, made by `tools/matting_truth.py`) over real busy backgrounds.
//! `idphoto matbench tests/fixtures/matting` runs the full grid (4 cut-outs ×
//! 3 backgrounds × 9 framings) and prints the figures in the README.

mod common;

use common::{engine, repo_fixtures};
use image::{RgbImage, RgbaImage};
use photo::Profile;
use photo::matbench::{Case, Measured, run_case};
use photo::report::Status;

fn cutout(name: &str) -> RgbaImage {
    let p = repo_fixtures().join("matting").join(name);
    image::open(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .into_rgba8()
}

fn background(name: &str) -> RgbImage {
    let p = repo_fixtures().join("matting").join(name);
    image::open(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .into_rgb8()
}

const CASE: Case = Case {
    scale: 1.6,
    left: 0.075,
    top: 0.0,
};

fn run(cut: &str, bg: &str) -> (Measured, Vec<(&'static str, Status)>) {
    let r = run_case(
        engine(),
        &Profile::default(),
        &cutout(cut),
        &background(bg),
        &CASE,
    )
    .unwrap();
    let checks = r
        .report
        .checks
        .iter()
        .map(|c| (c.check, c.status))
        .collect();
    (r.measured, checks)
}

/// A compliant portrait over gravel (a texture in every direction, bright
/// specks by the ear lobes, dark gaps through the ponytail) and over a
/// launch pad at dusk (a sky close to the profile blue, thin towers by the
/// head): each is made into a photo whose hair edge is within a few ΔE of
/// the truth and whose background holds no stray pixels. Before the head
/// bound, the colour guided filter and blur-fusion these read edge ΔE 5.4
/// and 2.9, and a third of the gravel composites were refused for
/// "earrings".
#[test]
fn busy_backgrounds_are_replaced_cleanly() {
    for (cut, bg, max_edge) in [
        ("pass_frontal_woman_02.png", "bg_gravel.jpg", 4.5),
        ("pass_frontal_man_03.png", "bg_rocket.jpg", 3.0),
    ] {
        let (m, checks) = run(cut, bg);
        assert!(
            m.refused.is_empty(),
            "{cut} over {bg} refused: {:?}",
            m.refused
        );
        assert!(m.edge_mean <= max_edge, "{cut} over {bg}: edge ΔE {m:?}");
        assert!(m.stray_permille <= 1.0, "{cut} over {bg}: stray {m:?}");
        // The solid person is the photo itself: only the two JPEG passes
        // separate it from the truth.
        assert!(m.person_mean <= 2.0, "{cut} over {bg}: person {m:?}");
        assert!(
            checks.contains(&("background_objects", Status::Pass)),
            "{cut} over {bg}: {checks:?}"
        );
    }
}

/// A coffee cup whose rim rings the head fools the person model: what it
/// takes for person beside the head is far more than any real photo of one
/// student shows, and its part by the shoulders could not be cut, so the
/// photo is refused with a hint to retake it against a plain wall.
#[test]
fn a_background_the_person_model_takes_for_the_student_is_refused() {
    let (m, checks) = run("pass_frontal_man_03.png", "bg_coffee.jpg");
    assert_eq!(m.refused, ["background_objects"], "{checks:?}");
}
