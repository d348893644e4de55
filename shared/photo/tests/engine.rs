//! The engine on the photos kept in the repository: what a student would
//! notice.

mod common;

use common::{engine, read, repo_fixtures};
use domain::ReasonCode;
use photo::Profile;
use photo::verify::verify;

fn reasons(file: &str) -> Vec<ReasonCode> {
    let o = engine()
        .standardize(&read(&repo_fixtures(), file), &Profile::default())
        .unwrap();
    o.report.reason_codes()
}

#[test]
fn a_compliant_portrait_becomes_a_standard_file() {
    for file in ["pass_frontal_man_01.jpg", "pass_frontal_woman_02.jpg"] {
        let profile = Profile::default();
        let o = engine()
            .standardize(&read(&repo_fixtures(), file), &profile)
            .unwrap();
        assert!(o.passed(), "{file} refused: {}", o.report.to_json());
        let v = verify(engine(), o.jpeg.as_ref().unwrap(), &profile);
        assert!(
            v.problems(&profile).is_empty(),
            "{file}: {:?}\n{v:?}",
            v.problems(&profile)
        );
        assert_eq!(o.descriptor.as_ref().map(|d| d.0.len()), Some(128));
    }
}

#[test]
fn a_white_t_shirt_passes_on_blue_but_not_on_light_grey() {
    // The London Set wears white T-shirts: distinct from light blue, but
    // within ΔE 5 of RGB(240,240,240), where the shoulders would dissolve.
    let bytes = read(&repo_fixtures(), "pass_frontal_man_01.jpg");
    let grey = engine().standardize(&bytes, &Profile::grey()).unwrap();
    assert_eq!(
        grey.report.reason_codes(),
        vec![ReasonCode::ClothingMatchesBackground]
    );
    let white = engine().standardize(&bytes, &Profile::white()).unwrap();
    let v = verify(engine(), white.jpeg.as_ref().unwrap(), &Profile::white());
    assert!(
        v.problems(&Profile::white()).is_empty(),
        "{:?}",
        v.problems(&Profile::white())
    );
}

#[test]
fn a_toothy_smile_is_refused_as_mouth_open() {
    assert_eq!(
        reasons("fail_mouth_open_smile_01.jpg"),
        vec![ReasonCode::MouthOpen]
    );
}

#[test]
fn a_cat_is_not_a_face() {
    assert_eq!(
        reasons("fail_not_a_person_cat_01.jpg"),
        vec![ReasonCode::NoFace]
    );
}

#[test]
fn a_320_by_240_photo_is_too_low_in_resolution() {
    assert!(reasons("fail_low_resolution_01.jpg").contains(&ReasonCode::LowResolution));
}

#[test]
fn a_second_person_beside_the_student_is_refused() {
    assert!(reasons("fail_multiple_faces_01.jpg").contains(&ReasonCode::MultipleFaces));
}

#[test]
fn a_photo_turned_by_its_pixels_is_refused_as_rotated() {
    let img = image::load_from_memory(&read(&repo_fixtures(), "pass_frontal_man_01.jpg")).unwrap();
    let mut jpeg = Vec::new();
    img.rotate90()
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let o = engine().standardize(&jpeg, &Profile::default()).unwrap();
    assert_eq!(o.report.reason_codes(), vec![ReasonCode::Rotated]);
}

#[test]
fn a_photo_stored_sideways_with_an_exif_orientation_is_turned_upright() {
    // Pixels turned a quarter clockwise, with EXIF Orientation 8 ("rotate
    // 270° clockwise to view"), as a phone held sideways writes them.
    let img = image::load_from_memory(&read(&repo_fixtures(), "pass_frontal_man_01.jpg")).unwrap();
    let mut plain = Vec::new();
    img.rotate90()
        .write_to(
            &mut std::io::Cursor::new(&mut plain),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let tagged = with_exif_orientation(&plain, 8);
    let o = engine().standardize(&tagged, &Profile::default()).unwrap();
    assert_eq!(o.report.input.exif_orientation, 8);
    assert!(o.passed(), "{}", o.report.to_json());
}

#[test]
fn unreadable_uploads_are_refused_with_a_file_reason() {
    let e = engine();
    let jpeg = read(&repo_fixtures(), "pass_frontal_man_01.jpg");
    let cases: [(&[u8], ReasonCode); 3] = [
        (b"", ReasonCode::CorruptImage),
        (b"GIF89a....", ReasonCode::UnsupportedFormat),
        (&jpeg[..jpeg.len() / 3], ReasonCode::CorruptImage),
    ];
    for (bytes, code) in cases {
        let o = e.standardize(bytes, &Profile::default()).unwrap();
        assert_eq!(o.report.reason_codes(), vec![code]);
        assert!(o.jpeg.is_none());
    }
}

#[test]
fn the_report_names_every_check_with_its_measurement() {
    let o = engine()
        .standardize(
            &read(&repo_fixtures(), "pass_frontal_man_01.jpg"),
            &Profile::default(),
        )
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&o.report.to_json()).unwrap();
    assert_eq!(json["schema"], "idphoto.report/1");
    let checks = json["checks"].as_array().unwrap();
    for name in [
        "yaw",
        "eyes_open",
        "mouth_closed",
        "sharpness",
        "lighting_balance",
        "colour",
        "single_face",
        "placement",
    ] {
        let c = checks
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no check {name}"));
        assert!(c["measured"].is_number(), "{name} has no measurement");
    }
}

/// Insert an APP1 Exif segment holding only the Orientation tag after SOI.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Sharpness is judged at the size the output shows the face. The photo is
/// never enlarged, so a sharp photo whose face is under 240 px is measured
/// at its own size: brought up to 240 px for the measure, it read as blurred
/// by the enlargement alone (this one 0.020, flagged; three development
/// photos were refused for it, as `face_too_small`).
#[test]
fn a_small_face_in_a_sharp_photo_is_not_blurry() {
    let file = "pass_frontal_woman_02.jpg";
    let original = read(&repo_fixtures(), file);
    let o = engine()
        .standardize(&original, &Profile::default())
        .unwrap();
    let face = o.report.measurements.as_ref().unwrap().face_width_px;
    let img = image::load_from_memory(&original).unwrap().to_rgb8();
    let k = 185.0 / face;
    let (w, h) = (
        (img.width() as f32 * k) as u32,
        (img.height() as f32 * k) as u32,
    );
    let small = image::imageops::resize(&img, w, h, image::imageops::FilterType::CatmullRom);
    let o = engine()
        .standardize(&common::jpeg(&small, 92), &Profile::default())
        .unwrap();
    let sharpness = o.report.check("sharpness").unwrap();
    assert_eq!(
        sharpness.status,
        photo::report::Status::Pass,
        "{file} at a {:.0} px face: {sharpness:?}",
        o.report.measurements.as_ref().unwrap().face_width_px
    );
}

/// A refused photo says where its problem is: the smile's mouth box lies on the lips, under
/// the eyes, between the ears, and the top of the head above them all — in fractions of the
/// upload, so a client can draw it on the photo the student took.
#[test]
fn a_refused_photo_points_at_where_its_problem_is() {
    let bytes = read(&repo_fixtures(), "fail_mouth_open_smile_01.jpg");
    let o = engine().standardize(&bytes, &Profile::default()).unwrap();
    assert_eq!(o.report.reason_codes(), vec![ReasonCode::MouthOpen]);
    let regions = o.report.regions.as_ref().expect("regions of a found face");
    let region = ReasonCode::MouthOpen.region().unwrap();
    let [mouth] = regions.get(region) else {
        panic!("one mouth: {regions:?}")
    };
    let [eyes] = regions.eyes.as_slice() else {
        panic!("{regions:?}")
    };
    let [top] = regions.top_of_head.as_slice() else {
        panic!("{regions:?}")
    };
    let centre = |a: &photo::regions::Area| (a.x + a.w / 2.0, a.y + a.h / 2.0);
    let within = |v: f32| (0.0..=1.0).contains(&v);
    for a in [mouth, eyes, top].into_iter().chain(&regions.ears) {
        assert!(within(a.x) && within(a.y) && within(a.x + a.w) && within(a.y + a.h));
        assert!(a.w > 0.0 && a.h > 0.0, "{a:?}");
    }
    assert!(
        centre(mouth).1 > eyes.y + eyes.h,
        "the mouth under the eyes"
    );
    assert!(
        top.y + top.h <= eyes.y + 0.01,
        "the top of the head above the eyes"
    );
    let [left, right] = regions.ears.as_slice() else {
        panic!("two ears: {regions:?}")
    };
    assert!(left.x + left.w < centre(mouth).0 && centre(mouth).0 < right.x);
    // The mouth box sits where the photo's face is: within the middle of its width.
    assert!((0.25..0.75).contains(&centre(mouth).0), "{mouth:?}");
    assert!(mouth.w < 0.5 && eyes.w < 0.7);
}

/// The repository's own photos outside the hold-out (three of six) get the verdicts recorded
/// for them in `eval/verdicts.csv` (where the whole development set's are; `development_set`
/// checks those): the same guard for a clone without `../shared`.
#[test]
fn the_repository_photos_keep_their_recorded_verdicts() {
    let summary = photo::eval::run(
        engine(),
        &repo_fixtures().join("MANIFEST.csv"),
        photo::eval::Split::Dev,
        photo::eval::Variant::Original,
    )
    .unwrap();
    let lines: Vec<String> = summary.rows.iter().map(|r| r.verdict_line()).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let changed = common::changed_verdicts(&lines);
    assert!(
        changed.is_empty(),
        "verdicts changed:\n{}",
        changed.join("\n")
    );
}
