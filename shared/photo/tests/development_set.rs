//! Issue 4's acceptance checks on the whole development set in
//! `../shared/fixtures/photos` (skipped, with a message, where it is absent).

mod common;

use common::{engine, read, shared_fixtures};
use photo::Profile;
use photo::eval::{self, read_csv};
use photo::verify::verify;

/// Issue 4's full target: every pass passes, ≥ 90% of fails refused, ≥ 70%
/// of those with a labelled reason. 23 of 25 are refused; the two missed
/// are a stud in the upper ear and earrings and a necklace worn in front of
/// hair and a dress, which the mask-based earring measure cannot see.
#[test]
fn eval_meets_the_targets_on_the_development_set() {
    let Some(dir) = shared_fixtures() else { return };
    let summary = eval::run(engine(), &dir.join("MANIFEST.csv")).unwrap();
    println!("{}", summary.render());
    assert!(
        summary.meets_targets(),
        "targets missed:\n{}",
        summary.render()
    );
}

/// What protects students: no compliant photo is refused, and a refusal
/// names a labelled reason at least 70% of the time.
#[test]
fn no_compliant_photo_is_refused_and_refusals_name_their_reason() {
    let Some(dir) = shared_fixtures() else { return };
    let summary = eval::run(engine(), &dir.join("MANIFEST.csv")).unwrap();
    println!("{}", summary.render());
    let refused_passes: Vec<&str> = summary
        .rows
        .iter()
        .filter(|r| r.expected_pass && !r.passed)
        .map(|r| r.file.as_str())
        .collect();
    assert!(
        refused_passes.is_empty(),
        "compliant photos refused: {refused_passes:?}"
    );
    assert!(summary.reason_precision() >= 0.7, "{}", summary.render());
    // Guard against regressions below today's 23 of 25 (92%).
    assert!(summary.fail_recall() >= 0.9, "{}", summary.render());
}

#[test]
fn every_passed_output_re_measures_inside_the_standard() {
    let Some(dir) = shared_fixtures() else { return };
    let profile = Profile::default();
    let mut checked = 0;
    for row in read_csv(&dir.join("MANIFEST.csv")).unwrap() {
        let file = &row["file"];
        let o = engine().standardize(&read(&dir, file), &profile).unwrap();
        let Some(jpeg) = o.jpeg else { continue };
        let v = verify(engine(), &jpeg, &profile);
        assert!(
            v.problems(&profile).is_empty(),
            "{file}: {:?}\n{v:?}",
            v.problems(&profile)
        );
        checked += 1;
    }
    assert!(checked >= 14, "only {checked} outputs");
}

#[test]
fn descriptor_threshold_separates_the_labelled_pairs() {
    let Some(dir) = shared_fixtures() else { return };
    for row in read_csv(&dir.join("PAIRS.csv")).unwrap() {
        let d = |f: &str| {
            engine()
                .describe_portrait(&read(&dir, f))
                .unwrap()
                .unwrap_or_else(|| panic!("{f}: no face"))
        };
        let (a, b) = (d(&row["file_a"]), d(&row["file_b"]));
        let same = row["same_person"] == "1";
        println!(
            "{} / {}: {:.3} (same: {same})",
            row["file_a"],
            row["file_b"],
            a.distance(&b)
        );
        assert_eq!(
            a.same_person(&b),
            same,
            "{} vs {}: {:.3}",
            row["file_a"],
            row["file_b"],
            a.distance(&b)
        );
    }
}
