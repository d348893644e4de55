//! Step 3 (decisions): compare each measurement with the standard's limit.
//!
//! Each limit is a physical quantity, not a number fitted to sample files.
//! A check refuses (`Fail`) only where the measurement is reliable; between
//! the clear pass and the clear fail, or where the measurement is only a
//! proxy, it sends the photo to a reviewer (`Review`): a false refusal costs
//! the student a retake and money.

use domain::ReasonCode as R;

use crate::measure::Measurements;
use crate::raster::{delta_e, lab};
use crate::report::{Check, Status};

/// A check whose pass region is `measured <= limit` (or `>=`), with a band
/// of `review` beyond the limit before it fails.
struct Rule {
    check: &'static str,
    code: R,
    unit: &'static str,
    /// True when larger values are worse.
    max: bool,
    /// Pass up to here.
    pass: f32,
    /// Refuse beyond here; between `pass` and `fail`, review. `None`: the
    /// measurement is a proxy and never refuses on its own.
    fail: Option<f32>,
}

impl Rule {
    fn judge(&self, value: f32) -> Check {
        let worse = |limit: f32| {
            if self.max {
                value > limit
            } else {
                value < limit
            }
        };
        let status = if value.is_nan() {
            Status::Skipped
        } else if self.fail.is_some_and(worse) {
            Status::Fail
        } else if worse(self.pass) {
            Status::Review
        } else {
            Status::Pass
        };
        Check {
            check: self.check,
            code: self.code,
            status,
            measured: (!value.is_nan()).then_some(value),
            threshold: Some(if status == Status::Fail {
                self.fail.unwrap_or(self.pass)
            } else {
                self.pass
            }),
            comparison: if self.max { "<=" } else { ">=" },
            unit: self.unit,
            note: None,
        }
    }
}

fn rule(
    check: &'static str,
    code: R,
    unit: &'static str,
    max: bool,
    pass: f32,
    fail: Option<f32>,
) -> Rule {
    Rule {
        check,
        code,
        unit,
        max,
        pass,
        fail,
    }
}

/// Checks of the face and the photo, given its measurements and the
/// profile's background colour.
pub fn face_checks(m: &Measurements, background: [u8; 3]) -> Vec<Check> {
    let mut out = Vec::new();
    // Pose. A head turned 10° shows visibly more of one cheek; 20° is
    // unmistakably a three-quarter view.
    out.push(rule("yaw", R::NotFrontal, "deg", true, 10.0, Some(20.0)).judge(m.yaw_deg.abs()));
    // Pitch is measured from the forehead–chin line, which leans back about
    // PITCH_NEUTRAL° on an upright face (the chin is nearer the camera).
    out.push(
        rule("pitch", R::NotFrontal, "deg", true, 12.0, Some(22.0))
            .judge((m.pitch_deg - PITCH_NEUTRAL).abs()),
    );
    // Eyes level: 5° is ~1 mm over a 60 mm eye distance... visibly tilted
    // beyond 8°, clearly beyond 12°.
    out.push(rule("roll", R::HeadTilted, "deg", true, 8.0, Some(12.0)).judge(m.roll_deg.abs()));
    // Eyes: the iris model's lid outline, height over width. Open eyes read
    // 0.25–0.45, shut eyes under 0.12; refuse only when both eyes are shut.
    let (lo, hi) = (
        m.eye_openness[0].min(m.eye_openness[1]),
        m.eye_openness[0].max(m.eye_openness[1]),
    );
    out.push(rule("eyes_open", R::EyesClosed, "ratio", false, 0.18, Some(0.15)).judge(hi));
    let mut one = rule("each_eye_open", R::EyesClosed, "ratio", false, 0.15, None).judge(lo);
    one.note =
        (one.status == Status::Review).then(|| "one eye reads closed (wink or occlusion)".into());
    out.push(one);
    // Lips: inner-lip gap over mouth width. Closed lips read under 0.05; a
    // toothy smile parts them by a tenth of the mouth's width or more.
    out.push(
        rule(
            "mouth_closed",
            R::MouthOpen,
            "ratio",
            true,
            0.06,
            Some(0.10),
        )
        .judge(m.mouth_opening),
    );
    // Gaze: iris centre away from the eye's centre by a quarter of the eye
    // width means looking clearly aside (or down); proxy only.
    let gaze = m.gaze[0].max(m.gaze[1].abs());
    out.push(
        rule(
            "gaze",
            R::NotFrontal,
            "ratio of eye width",
            true,
            0.18,
            None,
        )
        .judge(gaze),
    );
    out.push(
        rule(
            "sharpness",
            R::Blurry,
            "laplacian/luma variance",
            false,
            SHARP_PASS,
            Some(SHARP_FAIL),
        )
        .judge(m.sharpness),
    );
    // Exposure, in L* of the skin: L* 30 is a deep shadow on a face even for
    // dark skin; L* 90 is near paper white.
    out.push(
        rule(
            "skin_not_dark",
            R::Underexposed,
            "L*",
            false,
            35.0,
            Some(25.0),
        )
        .judge(m.skin_lightness),
    );
    out.push(
        rule(
            "skin_not_bright",
            R::Overexposed,
            "L*",
            true,
            88.0,
            Some(95.0),
        )
        .judge(m.skin_lightness),
    );
    out.push(
        rule(
            "face_not_clipped",
            R::Overexposed,
            "share of face",
            true,
            0.10,
            Some(0.30),
        )
        .judge(m.face_clipped),
    );
    // 阴阳脸: the two cheeks of an evenly lit face differ by a few L*; a
    // one-sided light makes one 20 L* (a clearly visible step) darker.
    out.push(
        rule(
            "lighting_balance",
            R::UnevenLighting,
            "ΔL*",
            true,
            12.0,
            Some(20.0),
        )
        .judge(m.cheek_lightness_diff.abs()),
    );
    // Colour: skin has chroma C*ab ≥ 10 under any white balance; a grey
    // photo has under 3 everywhere.
    let grey = m.skin_chroma.max(m.photo_chroma);
    out.push(rule("colour", R::Grayscale, "C*ab", false, 5.0, Some(3.0)).judge(grey));
    // Tinted glasses hide the whites of the eyes: the brightest part of the
    // eye opening falls far below the skin's lightness.
    out.push(
        rule(
            "eyes_visible",
            R::TintedGlasses,
            "ΔL* (eye − skin)",
            false,
            -15.0,
            Some(-30.0),
        )
        .judge(m.eye_lightness_vs_skin),
    );
    // Reflections on lenses: a patch of near-white, colourless pixels around
    // the eye beyond the small catchlight every eye has.
    out.push(
        rule(
            "no_lens_glare",
            R::GlassesGlare,
            "share of lens area",
            true,
            0.03,
            Some(0.10),
        )
        .judge(m.lens_glare),
    );
    // Hair over the brows or forehead: the band above the brows or the
    // forehead differs in colour from the cheeks (ΔE 20 is the difference
    // between skin and dark hair at its least).
    out.push(
        rule("brows_visible", R::HairCoversFace, "ΔE", true, 15.0, None).judge(m.brow_band_delta_e),
    );
    out.push(
        rule(
            "forehead_visible",
            R::HairCoversFace,
            "ΔE",
            true,
            15.0,
            None,
        )
        .judge(m.forehead_delta_e),
    );
    // Ears: skin-coloured area just outside the cheek outline.
    let ear = m.ear_delta_e[0].max(m.ear_delta_e[1]);
    out.push(rule("ears_visible", R::HairCoversFace, "ΔE", true, 20.0, None).judge(ear));
    // Jewellery: specular glints below the ear lobes and on the neck. A
    // proxy (a shiny collar or wet skin glints too): review only.
    out.push(
        rule(
            "no_earrings",
            R::Earrings,
            "share of area",
            true,
            0.004,
            None,
        )
        .judge(m.earlobe_sparkle),
    );
    out.push(
        rule(
            "no_necklace",
            R::Necklace,
            "share of area",
            true,
            0.004,
            None,
        )
        .judge(m.neck_sparkle),
    );
    // Clothing against the new background: ΔE 10 is a clearly visible
    // difference; under 5 the shoulders dissolve into the background.
    let bg = lab(background.map(|c| c as f32));
    let mut clothes = match m.clothing_lab {
        Some(c) => rule(
            "clothing_contrast",
            R::ClothingMatchesBackground,
            "ΔE",
            false,
            10.0,
            Some(5.0),
        )
        .judge(delta_e(c, bg)),
        None => skipped(
            "clothing_contrast",
            R::ClothingMatchesBackground,
            "no clothing visible below the chin",
        ),
    };
    if clothes.status == Status::Fail {
        clothes.note = Some("clothes too close to the background colour".into());
    }
    out.push(clothes);
    out.push(skipped(
        "headwear",
        R::Headwear,
        "no reliable measurement: a reviewer checks for hats and head ornaments",
    ));
    out
}

/// Forehead–chin line lean on an upright, level face (see `face_checks`).
pub const PITCH_NEUTRAL: f32 = 0.0;
const SHARP_PASS: f32 = 0.05;
const SHARP_FAIL: f32 = 0.02;

pub fn skipped(check: &'static str, code: R, note: &str) -> Check {
    Check {
        check,
        code,
        status: Status::Skipped,
        measured: None,
        threshold: None,
        comparison: "",
        unit: "",
        note: Some(note.into()),
    }
}

/// A check that failed outright, with a note.
pub fn failed(
    check: &'static str,
    code: R,
    measured: Option<f32>,
    threshold: Option<f32>,
    unit: &'static str,
    note: &str,
) -> Check {
    Check {
        check,
        code,
        status: Status::Fail,
        measured,
        threshold,
        comparison: "",
        unit,
        note: Some(note.into()),
    }
}

pub fn passed(
    check: &'static str,
    code: R,
    measured: Option<f32>,
    threshold: Option<f32>,
    unit: &'static str,
) -> Check {
    Check {
        check,
        code,
        status: Status::Pass,
        measured,
        threshold,
        comparison: "",
        unit,
        note: None,
    }
}
