//! The engine on the whole development set in `../shared/fixtures/photos`
//! (ignored where it is absent: see `build.rs`). The evaluation runs once
//! per test binary and every test reads it.

mod common;

use std::sync::OnceLock;

use common::{
    changed_verdicts, engine, file_of, read, recorded_verdicts, shared_fixtures, verdicts_path,
};
use domain::face::FaceMatch;
use photo::Profile;
use photo::eval::{self, Split, Summary, Variant, read_csv};
use photo::verify::verify;

fn summary() -> &'static Summary {
    static SUMMARY: OnceLock<Summary> = OnceLock::new();
    SUMMARY.get_or_init(|| {
        let s = eval::run(
            engine(),
            &shared_fixtures().join("MANIFEST.csv"),
            Split::All,
            Variant::Original,
        )
        .unwrap();
        println!("{}", s.render());
        s
    })
}

/// The engine's verdict on every photo of the development set but the hold-out (reasons and
/// review flags included) is the one recorded in `eval/verdicts.csv`: work on the engine's
/// speed (issue 22) must leave every one as it was. A change to a rule changes some on
/// purpose: `RECORD_VERDICTS=1` writes the file anew, and its diff shows what moved.
#[test]
#[cfg_attr(no_shared_photos, ignore = "../shared/fixtures/photos is absent")]
fn the_verdicts_are_the_recorded_ones() {
    let lines: Vec<String> = summary()
        .rows
        .iter()
        .filter(|r| Split::Dev.keeps(&r.file))
        .map(|r| r.verdict_line())
        .collect();
    if std::env::var_os("RECORD_VERDICTS").is_some() {
        let mut file = String::from("file,verdict,reasons,review\n");
        for line in &lines {
            file.push_str(line);
            file.push('\n');
        }
        std::fs::write(verdicts_path(), file).unwrap();
    }
    let changed = changed_verdicts(&lines);
    assert!(
        changed.is_empty(),
        "verdicts changed:\n{}",
        changed.join("\n")
    );
    // And no recorded photo has gone (from the manifest, or into the hold-out).
    let files: Vec<&str> = lines.iter().map(|l| file_of(l)).collect();
    let gone: Vec<String> = recorded_verdicts()
        .into_keys()
        .filter(|f| !files.contains(&f.as_str()))
        .collect();
    assert!(gone.is_empty(), "recorded but not run: {gone:?}");
}

/// Compliant photos the engine still refuses, each for a reason the engine
/// cannot yet do better on (issue 15 is open until this list is empty):
/// `pass_tightcrop_man_01` ends just below the chin, so no framing within
/// the standard reaches the frame's bottom without inventing a third of the
/// frame's clothing; the engine refuses it (`face_cut_off`) rather than
/// invent it.
const KNOWN_FALSE_REFUSALS: [&str; 1] = ["pass_tightcrop_man_01.jpg"];

/// What protects students: no compliant photo is refused beyond the named
/// known cases.
#[test]
#[cfg_attr(no_shared_photos, ignore = "../shared/fixtures/photos is absent")]
fn no_compliant_photo_is_refused_but_the_named_known_cases() {
    let refused: Vec<&str> = summary()
        .rows
        .iter()
        .filter(|r| r.expected_pass && !r.passed)
        .map(|r| r.file.as_str())
        .filter(|f| !KNOWN_FALSE_REFUSALS.contains(f))
        .collect();
    assert!(refused.is_empty(), "compliant photos refused: {refused:?}");
}

/// Today's level on the 66 non-compliant photos, so no change lowers it
/// unnoticed: 85% refused (56), 86% of those with a labelled reason. Issue
/// 15's target is 90% and 80%. Refusing hair over 0.7 of an ear band and
/// teeth from 0.004 mouth widths² (both on evidence from both sides, see
/// `checks`) raised it from 80% (53). The earring check stopped refusing against
/// textured backgrounds (it refused 22 of 108 compliant matting-benchmark
/// composites; three of the four development-set refusals that cost named
/// earrings on photos whose fault is hair or another face); the photo is no
/// longer enlarged, so faces under 180 px are refused. `fail_eyes_closed_02`
/// was refused only for the stray background our own matte left, which a
/// person mask read both ways no longer leaves; its eyes read on the refusal
/// limit and are flagged.
#[test]
#[cfg_attr(no_shared_photos, ignore = "../shared/fixtures/photos is absent")]
fn refusals_do_not_fall_below_todays_level() {
    let s = summary();
    assert!(s.fail_recall() >= 0.84, "{}", s.render());
    assert!(s.reason_precision() >= 0.80, "{}", s.render());
}

/// Outputs known to miss the standard, each named with why (issue 15 is
/// open until this list is empty). `fail_multiple_faces_03`, where part of
/// a second person stayed in the replaced background, left it when the
/// person model's confusion beside the head became a refusal
/// (`background_objects`).
const KNOWN_NONSTANDARD_OUTPUTS: [&str; 0] = [];

#[test]
#[cfg_attr(no_shared_photos, ignore = "../shared/fixtures/photos is absent")]
fn every_passed_output_re_measures_inside_the_standard() {
    let profile = Profile::default();
    let mut checked = 0;
    for row in &summary().rows {
        let Some(jpeg) = &row.jpeg else { continue };
        if KNOWN_NONSTANDARD_OUTPUTS.contains(&row.file.as_str()) {
            continue;
        }
        let v = verify(engine(), jpeg, &profile);
        assert!(
            v.problems(&profile).is_empty(),
            "{}: {:?}\n{v:?}",
            row.file,
            v.problems(&profile)
        );
        checked += 1;
    }
    assert!(checked >= 32, "only {checked} outputs");
}

/// The face match, as the submission runs it, on every labelled pair: never
/// `same` for two people nor `different` for one. Within TOO_CLOSE_TO_CALL
/// of the threshold it says `uncertain` and the reviewer compares by eye:
/// the pairs come close there (one person in small faces of two sessions
/// 0.556; two different young men of one studio 0.600, 0.608 and 0.610),
/// and the band stays a band, not where most pairs fall.
#[test]
#[cfg_attr(no_shared_photos, ignore = "../shared/fixtures/photos is absent")]
fn face_match_never_calls_a_labelled_pair_wrongly() {
    let mut uncertain = Vec::new();
    for row in read_csv(&shared_fixtures().join("PAIRS.csv")).unwrap() {
        // The student's face, as the engine described it on the upload (the
        // largest face, also where others are beside it).
        let d = |f: &str| {
            let row = summary().rows.iter().find(|r| r.file == f);
            row.and_then(|r| r.descriptor.clone())
                .unwrap_or_else(|| panic!("{f}: no face"))
        };
        let (a, b) = (d(&row["file_a"]), d(&row["file_b"]));
        let same = row["same_person"] == "1";
        let pair = format!("{} / {}", row["file_a"], row["file_b"]);
        let verdict = FaceMatch::compare(&a.0, &b.0);
        println!("{pair}: {verdict:?} (same: {same})");
        match verdict {
            FaceMatch::Same { .. } => assert!(same, "{pair}: {verdict:?}"),
            FaceMatch::Different { .. } => assert!(!same, "{pair}: {verdict:?}"),
            FaceMatch::Uncertain { .. } => uncertain.push(pair),
            FaceMatch::Unavailable { .. } => panic!("{pair}: {verdict:?}"),
        }
    }
    println!("too close to call: {uncertain:?}");
    assert!(uncertain.len() <= 5, "{uncertain:?}");
}

/// A crop so tight that no scale puts the photo's side edges outside the
/// frame still gives a photo, but its shoulders end in straight vertical
/// lines there: the reviewer is asked to look, never the student refused.
#[test]
#[cfg_attr(no_shared_photos, ignore = "../shared/fixtures/photos is absent")]
fn shoulders_cut_by_the_sides_inside_the_frame_are_flagged() {
    let bytes = read(&shared_fixtures(), "pass_tightcrop_man_02.jpg");
    let o = engine().standardize(&bytes, &Profile::default()).unwrap();
    assert!(o.report.passed, "{:?}", o.report.reason_codes());
    let placement = o.report.check("placement").unwrap();
    assert_eq!(
        placement.status,
        photo::report::Status::Review,
        "{placement:?}"
    );
    let p = o.report.placement.as_ref().unwrap();
    assert!(p.binding.iter().any(|b| b.ends_with("_edge")), "{p:?}");
}

/// Non-compliant photos whose verdict a mirror or a JPEG copy changes, each
/// with why (issue 15 is open until this list is empty):
/// `fail_eyes_closed_02` reads exactly on the eyes-open refusal limit (its
/// margin is 0.000 to −0.022 across the copies: re-encoding alone moves the
/// iris model's lids that much), so it is refused in one copy and flagged
/// in another.
const KNOWN_UNSTABLE: [&str; 1] = ["fail_eyes_closed_02.jpg"];

/// A verdict must be about the student, not the copy: on the whole
/// development set no photo changes its verdict when mirrored (the standard
/// is symmetric; the mesh, the person mask and the hair mask are each read
/// on the photo and its mirror image, tests/mirror.rs) or sent at JPEG
/// quality 35 (as messaging apps do), but the named known cases, and never
/// a compliant one. One test per copy, so the two evaluations overlap.
fn same_verdicts_as(variant: Variant) {
    let manifest = shared_fixtures().join("MANIFEST.csv");
    let copy = eval::run(engine(), &manifest, Split::All, variant).unwrap();
    let changed: Vec<String> = summary()
        .rows
        .iter()
        .zip(&copy.rows)
        .inspect(|(a, b)| assert_eq!(a.file, b.file))
        .filter(|(a, b)| a.passed != b.passed)
        .filter(|(a, _)| a.expected_pass || !KNOWN_UNSTABLE.contains(&a.file.as_str()))
        .map(|(a, b)| {
            let verdict = |passed| if passed { "passed" } else { "refused" };
            format!(
                "{}: {} as uploaded, {} as the copy",
                a.file,
                verdict(a.passed),
                verdict(b.passed)
            )
        })
        .collect();
    assert!(
        changed.is_empty(),
        "{variant:?} changes verdicts: {changed:#?}"
    );
}

#[test]
#[cfg_attr(no_shared_photos, ignore = "../shared/fixtures/photos is absent")]
fn verdicts_are_the_same_mirrored() {
    same_verdicts_as(Variant::Mirror);
}

#[test]
#[cfg_attr(no_shared_photos, ignore = "../shared/fixtures/photos is absent")]
fn verdicts_are_the_same_at_jpeg_35() {
    same_verdicts_as(Variant::Jpeg35);
}
