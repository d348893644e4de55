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
        // A check that cannot decide goes to the reviewer, never silently.
        let status = if value.is_nan() {
            Status::Review
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
            note: value.is_nan().then(|| NOT_MEASURED.to_string()),
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

/// A measure where more is worse, flagged past `review` and refused past
/// `refuse`, with the note for each: the face checks' own rule, for checks
/// made elsewhere (the output QA). `notes` is [flagged, refused].
pub(crate) fn at_most(
    check: &'static str,
    code: R,
    unit: &'static str,
    [review, refuse]: [f32; 2],
    value: f32,
    notes: [&str; 2],
) -> Check {
    let mut c = rule(check, code, unit, MAX, review, Some(refuse)).judge(value);
    match c.status {
        Status::Review if !value.is_nan() => c.note = Some(notes[0].into()),
        Status::Fail => c.note = Some(notes[1].into()),
        _ => {}
    }
    c
}

/// A measure where more is worse that only ever flags (the engine's own
/// fault, never the student's): flagged past `review` with `note`; NaN is
/// flagged as not measured.
pub(crate) fn flag_above(
    check: &'static str,
    code: R,
    unit: &'static str,
    review: f32,
    value: f32,
    note: &str,
) -> Check {
    let mut c = rule(check, code, unit, MAX, review, None).judge(value);
    if c.status == Status::Review && !value.is_nan() {
        c.note = Some(note.into());
    }
    c
}

/// Checks of the face and the photo, given its measurements and the
/// profile's background colour.
pub fn face_checks(m: &Measurements, background: [u8; 3]) -> Vec<Check> {
    use Status::*;
    let mut out = Vec::new();
    // Pose. A head turned 10° shows visibly more of one cheek; 20° is
    // unmistakably a three-quarter view.
    add(
        &mut out,
        rule("yaw", R::NotFrontal, "deg", MAX, 10.0, Some(20.0)),
        m.yaw_deg.abs(),
    );
    // Pitch is the lean of the forehead–chin line out of the image plane.
    // Upright faces read −5…+12° (the chin sits forward of the brow), so the
    // limits sit either side of that band.
    let pitch = (m.pitch_deg - PITCH_NEUTRAL).abs();
    add(
        &mut out,
        rule(
            "pitch",
            R::NotFrontal,
            "deg from neutral",
            MAX,
            15.0,
            Some(25.0),
        ),
        pitch,
    );
    // Eyes level: 8° puts one eye 9 mm above the other at a 63 mm
    // interpupillary distance, plainly visible; 12° is a tilted head.
    add(
        &mut out,
        rule("roll", R::HeadTilted, "deg", MAX, 8.0, Some(12.0)),
        m.roll_deg.abs(),
    );
    // Eyes: the iris model's lid outline, height over width. Open eyes read
    // 0.25–0.45, shut eyes under 0.12; refuse only when both eyes are shut.
    let [a, b] = m.eye_openness;
    add(
        &mut out,
        rule("eyes_open", R::EyesClosed, "ratio", MIN, 0.18, Some(0.15)),
        a.max(b),
    );
    if add(
        &mut out,
        rule("each_eye_open", R::EyesClosed, "ratio", MIN, 0.15, None),
        a.min(b),
    ) == Review
    {
        note(
            &mut out,
            "one eye reads closed (a wink, or hair or glasses over it)",
        );
    }
    // Mouth: what the standard forbids is the inside of the mouth showing.
    // Teeth are read inside the inner-lip outline (see `mouth`): a visible
    // incisor's face (8 × 4.7 mm on a 50 mm mouth) is 0.015 mouth widths²,
    // the edges of the upper teeth between parted lips 0.004 (a 10 × 1 mm
    // line). The 33 compliant photos, closed-lip smiles among them, read
    // exactly 0 in every variant; the 17 photos with teeth showing read
    // 0.003–0.10, all but one from 0.005: refused from 0.004. The dark
    // cavity of a mouth open without teeth showing refuses from a tenth of
    // the mouth width squared. The lip gap alone cannot tell a closed-lip
    // smile (lips stretched apart at the mesh's inner outline) from an open
    // mouth, so it only flags.
    let inside = m.mouth_inside;
    add(
        &mut out,
        rule(
            "teeth_hidden",
            R::MouthOpen,
            "mouth widths²",
            MAX,
            0.002,
            Some(0.004),
        ),
        inside.teeth,
    );
    add(
        &mut out,
        rule(
            "mouth_cavity_hidden",
            R::MouthOpen,
            "mouth widths²",
            MAX,
            0.05,
            Some(0.1),
        ),
        inside.dark,
    );
    add(
        &mut out,
        rule("mouth_closed", R::MouthOpen, "ratio", MAX, 0.06, None),
        m.mouth_opening,
    );
    // Gaze: the iris centre off the eye's centre by a fifth of the eye width
    // is looking aside or down. The iris model is a proxy here: review only.
    let gaze = m.gaze[0].max(m.gaze[1].abs());
    add(
        &mut out,
        rule("gaze", R::NotFrontal, "ratio of eye width", MAX, 0.2, None),
        gaze,
    );
    // Sharpness at output size (Laplacian variance over luma variance, face
    // 240 px wide, or its own width when smaller: the photo is never
    // enlarged): in-focus faces keep several percent of their contrast in
    // the finest detail; under 1.5% the face looks smeared.
    let sharp = rule(
        "sharpness",
        R::Blurry,
        "laplacian/luma variance",
        MIN,
        0.03,
        Some(0.015),
    );
    add(&mut out, sharp, m.sharpness);
    // Exposure, in L* of the skin: L* 25 is a deep shadow on a face even for
    // dark skin; L* 95 is paper white, no skin detail left.
    add(
        &mut out,
        rule(
            "skin_not_dark",
            R::Underexposed,
            "L*",
            MIN,
            35.0,
            Some(25.0),
        ),
        m.skin_lightness,
    );
    add(
        &mut out,
        rule(
            "skin_not_bright",
            R::Overexposed,
            "L*",
            MAX,
            90.0,
            Some(95.0),
        ),
        m.skin_lightness,
    );
    add(
        &mut out,
        rule(
            "face_not_clipped",
            R::Overexposed,
            "share",
            MAX,
            0.15,
            Some(0.30),
        ),
        m.face_clipped,
    );
    // 阴阳脸: the cheeks of an evenly lit face differ by a few L*; a
    // one-sided light makes one 20 L* darker. But compliant studio portraits
    // with a directional key light read up to 21 L* here, and three uneven
    // photos are no basis for a line between them: review only.
    let frontal = m.yaw_deg.abs() <= 10.0;
    add(
        &mut out,
        rule(
            "lighting_balance",
            R::UnevenLighting,
            "ΔL*",
            MAX,
            12.0,
            None,
        ),
        m.cheek_lightness_diff.abs(),
    );
    // Colour: living skin in a colour photo reads C*ab ≥ 9.7 here (the
    // palest and the darkest skins, cool and warm light alike); a grey
    // photo reads under 1, and one toned grey with a faint tint under 4.
    // Refused under 6, flagged under 7.5.
    let grey = m.skin_chroma.max(m.photo_chroma);
    add(
        &mut out,
        rule("colour", R::Grayscale, "C*ab", MIN, 7.5, Some(6.0)),
        grey,
    );
    // Tinted glasses hide the whites of the eyes: the brightest tenth of the
    // eye opening falls far below the skin. Reflective lenses can be bright,
    // so this is a proxy: review only.
    let eyes = rule(
        "eyes_visible",
        R::TintedGlasses,
        "ΔL* eye − skin",
        MIN,
        -20.0,
        None,
    );
    add(&mut out, eyes, m.eye_lightness_vs_skin);
    // Reflections on lenses: a patch of near-white, colourless pixels around
    // the eye beyond the small catchlight every eye has.
    add(
        &mut out,
        rule("no_lens_glare", R::GlassesGlare, "share", MAX, 0.03, None),
        m.lens_glare,
    );
    // The band just above the brows against the cheeks (skin against even
    // fair hair is ΔE 30 or more). It lies above the brows, so a fringe that
    // ends above visible brows reads high too: a flag for the reviewer; the
    // hair model over the brows themselves (`brows_uncovered`) refuses.
    add(
        &mut out,
        rule("brows_visible", R::HairCoversFace, "ΔE", MAX, 15.0, None),
        m.brow_band_delta_e,
    );
    let forehead = rule("forehead_visible", R::HairCoversFace, "ΔE", MAX, 20.0, None);
    add(&mut out, forehead, m.forehead_delta_e);
    // The hair model over the parts of the face the standard wants seen:
    // the mean hair probability over the brows' body, the eye openings and
    // the band where each ear meets the cheek (the worse side). Over half
    // a brow, or a third of an eye, under hair is hair covering the face;
    // the ear band is judged on a frontal face only (a turned head hides
    // one ear behind the cheek), with its evidence below.
    let cov = m.coverage;
    add(
        &mut out,
        rule(
            "brows_uncovered",
            R::HairCoversFace,
            "hair share",
            MAX,
            0.15,
            Some(0.5),
        ),
        cov.brows,
    );
    add(
        &mut out,
        rule(
            "eyes_uncovered",
            R::HairCoversFace,
            "hair share",
            MAX,
            0.1,
            Some(0.3),
        ),
        cov.eyes,
    );
    // Ears: where the ear meets the cheek. The 33 compliant photos read at
    // most 0.50 in any variant, and their cut-outs over busy backgrounds (the
    // matting benchmark's 108 composites) up to 0.61, where the texture
    // beside the ear reads as hair. Photos whose hair hides an ear read
    // 0.63–0.99. Refused from 0.7, clear of every compliant reading.
    add(
        &mut out,
        rule(
            "ears_uncovered",
            R::HairCoversFace,
            "hair share",
            MAX,
            0.5,
            Some(0.7),
        )
        .or_review_unless(frontal),
        cov.ears,
    );
    // Ears: skin-coloured area just outside the cheek outline. Hair, a
    // shadow or a turned head all change it: review only.
    let ear = m.ear_delta_e[0].max(m.ear_delta_e[1]);
    add(
        &mut out,
        rule("ears_visible", R::HairCoversFace, "ΔE", MAX, 35.0, None),
        ear,
    );
    // Earrings: an object hanging plumb below a lobe, outside the person's
    // silhouette, unlike the one surface either side of it. Over 0.07 face
    // widths (≥ 12 mm) it is a pendant, not a stud: refused where the face
    // has the pixels for it (a 0.01 fw cell of at least 2 px) and the
    // background there is a plain surface. Shorter, on a small face or
    // against a texture, it may be a stud or chance: review. Earrings in front of
    // hair or skin are inside the mask and not measured here.
    let ears = rule(
        "no_earrings",
        R::Earrings,
        "face widths",
        MAX,
        EARRING_REVIEW,
        Some(EARRING_FAIL),
    );
    add(
        &mut out,
        ears.or_review_unless(
            m.face_width_px >= EARRING_MIN_FACE_PX
                && m.earring_surround_spread <= EARRING_MAX_SPREAD,
        ),
        m.earring_drop,
    );
    // Necklaces: a share of the neck in a colour that is no material seen
    // elsewhere on the photo. Collars and prints reach there too: review only.
    add(
        &mut out,
        rule("no_necklace", R::Necklace, "share", MAX, 0.05, None),
        m.neck_foreign,
    );
    // Clothing against the new background: ΔE 10 is a clearly visible
    // difference; under 5 the shoulders dissolve into the background.
    let bg = lab(background.map(|c| c as f32));
    match m.clothing_lab {
        Some(c) => {
            let r = rule(
                "clothing_contrast",
                R::ClothingMatchesBackground,
                "ΔE",
                MIN,
                10.0,
                Some(5.0),
            );
            add(&mut out, r, delta_e(c, bg));
        }
        None => out.push(not_measured(
            "clothing_contrast",
            R::ClothingMatchesBackground,
            "no clothing visible below the chin",
        )),
    }
    // Headwear: the crown above the forehead, inside the person's outline,
    // should be hair or (bald, shaved) skin; a hat, a scarf or a band is
    // neither. Compliant photos read up to 0.24 (shadows and highlights in
    // the hair), and a handful of headwear photos is no basis for refusing:
    // review only. With under 10 crown points the crown is not in the
    // photo and cannot be judged.
    if cov.crown_points >= 10 {
        add(
            &mut out,
            rule("headwear", R::Headwear, "share of crown", MAX, 0.3, None),
            cov.crown_foreign,
        );
    } else {
        out.push(not_measured(
            "headwear",
            R::Headwear,
            "the crown is not in the photo",
        ));
    }
    out
}

fn add(out: &mut Vec<Check>, r: Rule, value: f32) -> Status {
    let c = r.judge(value);
    let status = c.status;
    out.push(c);
    status
}

/// The note on a check that could not be measured on this photo.
pub const NOT_MEASURED: &str = "not measured";

const MAX: bool = true;
const MIN: bool = false;

/// Forehead–chin lean of an upright face, the middle of the −5…+12° band.
pub const PITCH_NEUTRAL: f32 = 3.5;
/// A hanging object longer than 0.03 face widths (≈ 4.5 mm, a bead) is
/// flagged; longer than 0.07 (from 12 mm) it is a pendant and refused.
const EARRING_REVIEW: f32 = 0.03;
const EARRING_FAIL: f32 = 0.07;
/// Below this face width the 0.01 fw cells are under 2 px: JPEG blocks and
/// hair strands read as objects, so the earring check only flags.
const EARRING_MIN_FACE_PX: f32 = 200.0;
/// Over this lightness spread (L*) the background by the lobe is a texture
/// (gravel, foliage, a shelf): stones and leaves line up into "pendants" of
/// 0.09 fw by chance (matting benchmark, gravel), so the check only flags.
/// Backdrops and plain walls by the lobes of the compliant photos I measured
/// spread 0–15.2; gravel 31–32, a cluttered wall behind a pendant 44.
const EARRING_MAX_SPREAD: f32 = 20.0;

fn note(out: &mut [Check], text: &str) {
    if let Some(c) = out.last_mut() {
        c.note = Some(text.into());
    }
}

impl Rule {
    /// The same rule, reviewing instead of refusing when its measurement is
    /// not reliable on this photo.
    fn or_review_unless(self, reliable: bool) -> Self {
        Self {
            fail: if reliable { self.fail } else { None },
            ..self
        }
    }
}

/// A check that could not be measured on a photo that was otherwise read:
/// the reviewer sees it, with why.
pub fn not_measured(check: &'static str, code: R, why: &str) -> Check {
    Check {
        check,
        code,
        status: Status::Review,
        measured: None,
        threshold: None,
        comparison: "",
        unit: "",
        note: Some(format!("{NOT_MEASURED}: {why}")),
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
