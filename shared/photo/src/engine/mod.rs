//! The seven steps of DESIGN §5 in order, with per-stage timings for the
//! bench: decode here, then find (`find`), segment, measure and judge,
//! place, and compose and encode (`compose`).

mod compose;
mod find;

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use image::RgbImage;

use crate::card::ocr::Ocr;
use crate::checks::{self, failed};
use crate::decode::{self, DecodeLimits};
use crate::descriptor::{self, Descriptor};
use crate::detect::Detector;
use crate::encode;
use crate::error::PhotoError;
use crate::framing;
use crate::landmarks::{self, Eye, Mesh};
use crate::measure;
use crate::models::Models;
use crate::place::{OUT_H, OUT_W};
use crate::profile::Profile;
use crate::raster::{Frame, Pyramid, box_shrink, sparse_shrink};
use crate::regions::Regions;
use crate::report::{Check, InputInfo, Report};
use crate::segment::{HairMask, PersonMask};

/// The detector sees the photo at most this many pixels on its long side:
/// its own inputs are 128² and 192².
const DETECT_SIDE: u32 = 640;
/// The preview of the upload: its long side at most this, JPEG at this quality (about 15 KB).
pub const PREVIEW_SIDE: u32 = 320;
const PREVIEW_QUALITY: u8 = 80;
/// Mesh face-presence below this: what the detector found is not a face
/// (a cat, a pattern).
const MIN_PRESENCE: f32 = 0.9;
/// A second face counts when it is at least this fraction of the student's
/// face width (smaller ones are far away and flagged for review).
const SECOND_FACE_MIN_RATIO: f32 = 0.2;
/// Beyond this roll the photo is sideways or upside down: the student must
/// upload it upright (we may not rotate it).
const SIDEWAYS_DEG: f32 = 45.0;

/// Time spent in each stage, for `idphoto bench`.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub stages: Vec<(&'static str, f64)>,
}

impl Timings {
    fn lap(&mut self, stage: &'static str, since: &mut Instant) {
        let now = Instant::now();
        self.stages
            .push((stage, (now - *since).as_secs_f64() * 1e3));
        *since = now;
    }
}

pub struct Outcome {
    /// The standardised JPEG when the photo passed.
    pub jpeg: Option<Vec<u8>>,
    /// The upload as the student took it, small ([`PREVIEW_SIDE`] px at most), for them to
    /// see beside the standardised photo, or with a refusal's regions drawn on it; whenever a
    /// face was found.
    pub preview: Option<Vec<u8>>,
    pub report: Report,
    /// The student's face descriptor, whenever one face was found.
    pub descriptor: Option<Descriptor>,
    /// How the output frame was sampled from the upload, when one was
    /// rendered.
    pub sampling: Option<Sampling>,
    pub timings: Timings,
}

/// The working copy's shrink factors and the output frame in its pixels:
/// enough to render any other image of the upload's size into exactly the
/// same frame, as the matting benchmark does with its ground truth.
#[derive(Debug, Clone)]
pub struct Sampling {
    k_det: u32,
    k_work: u32,
    frame: Frame,
}

impl Sampling {
    /// `img` (the upload's size) through the same working copy and frame as
    /// the output; `fill` outside it.
    pub fn render(&self, img: &RgbImage, fill: [f32; 3]) -> Vec<[f32; 3]> {
        let det = sparse_shrink(img, self.k_det);
        let work = find::working_copy(img, &det, self.k_work, self.k_det);
        Pyramid::new(&work).sample(&self.frame, OUT_W, OUT_H, fill)
    }
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.report.passed
    }
}

/// What was found of the student's face, in the working copy's pixels.
struct Face {
    mesh: Mesh,
    eyes: [Eye; 2],
    /// The detector's confidence.
    score: f32,
}

/// Why a run ends before its report: a refusal found early (the one check
/// that decided it), or a fault of the engine itself.
enum Stop {
    Refused(Check),
    Fault(PhotoError),
}

impl From<PhotoError> for Stop {
    fn from(e: PhotoError) -> Self {
        Self::Fault(e)
    }
}

/// One photo on its way through the engine: what was uploaded, the checks so
/// far and the time each stage took.
struct Run {
    input: InputInfo,
    checks: Vec<Check>,
    timings: Timings,
    since: Instant,
}

impl Run {
    fn start(bytes: usize) -> Self {
        Self {
            input: InputInfo {
                bytes,
                format: None,
                width: 0,
                height: 0,
                exif_orientation: 1,
            },
            checks: Vec::new(),
            timings: Timings::default(),
            since: Instant::now(),
        }
    }

    fn lap(&mut self, stage: &'static str) {
        self.timings.lap(stage, &mut self.since);
    }

    fn refused(self, checks: Vec<Check>) -> Outcome {
        Outcome {
            jpeg: None,
            preview: None,
            report: Report::new(checks, self.input),
            descriptor: None,
            sampling: None,
            timings: self.timings,
        }
    }

    /// A file that cannot be read is refused with its reason; `Err` only
    /// when the fault is the engine's.
    fn refused_file(self, e: PhotoError) -> Result<Outcome, PhotoError> {
        let Some(code) = e.reason() else {
            return Err(e);
        };
        Ok(self.refused(vec![failed("file", code, None, None, "", &e.to_string())]))
    }
}

/// The upload small, from the detector's copy (at most [`DETECT_SIDE`] px already).
fn preview(det_img: &RgbImage) -> RgbImage {
    let (w, h) = det_img.dimensions();
    let long = w.max(h);
    if long <= PREVIEW_SIDE {
        return det_img.clone();
    }
    let scale = PREVIEW_SIDE as f32 / long as f32;
    let size = |side: u32| ((side as f32 * scale).round() as u32).max(1);
    image::imageops::thumbnail(det_img, size(w), size(h))
}

/// The photo engine: models loaded once, shared by every call.
#[derive(Clone)]
pub struct Engine {
    models: Models,
    pub(crate) limits: DecodeLimits,
    /// The ID-card reader's models, loaded on the first card (most photos are not cards).
    ocr: Arc<OnceLock<Result<Ocr, String>>>,
}

impl Engine {
    pub fn new(models: Models) -> Self {
        Self {
            models,
            limits: DecodeLimits::default(),
            ocr: Arc::default(),
        }
    }

    /// The card reader's models, loaded once.
    pub(crate) fn ocr(&self) -> Result<&Ocr, PhotoError> {
        self.ocr
            .get_or_init(|| Ocr::load().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| PhotoError::model("ocr", e))
    }

    /// Load the models, and set the heap's thresholds for a photo's buffers
    /// ([`crate::heap`]): every process that runs the engine loads it here.
    pub fn load() -> Result<Self, PhotoError> {
        crate::heap::hold_large_buffers();
        Ok(Self::new(Models::load()?))
    }

    /// Turn a photo into the standard file, or refuse it with reasons. `Err`
    /// only for engine faults; every problem with the photo is a refused
    /// [`Outcome`].
    pub fn standardize(&self, bytes: &[u8], profile: &Profile) -> Result<Outcome, PhotoError> {
        let mut run = Run::start(bytes.len());
        let decoded = match decode::decode(bytes, &self.limits) {
            Ok(d) => d,
            Err(e) => return run.refused_file(e),
        };
        run.lap("decode");
        run.input = InputInfo {
            bytes: bytes.len(),
            format: Some(decoded.format),
            width: decoded.image.width(),
            height: decoded.image.height(),
            exif_orientation: decoded.exif_orientation,
        };
        match self.stages(&decoded.image, profile, &mut run) {
            Ok(outcome) => Ok(outcome),
            Err(Stop::Refused(check)) => Ok(run.refused(vec![check])),
            Err(Stop::Fault(e)) => Err(e),
        }
    }

    /// Steps 2 to 6 of DESIGN §5 on the decoded upload, in order.
    fn stages(&self, src: &RgbImage, profile: &Profile, run: &mut Run) -> Result<Outcome, Stop> {
        // Step 2: the faces, on a copy small enough for the detector; the
        // student's face on a working copy with enough pixels across it.
        let k_det = src.width().max(src.height()).div_ceil(DETECT_SIDE).max(1);
        let det_img = sparse_shrink(src, k_det);
        let faces = self.detect(&det_img)?;
        run.lap("detect");
        let preview = encode::jpeg(&preview(&det_img), PREVIEW_QUALITY)?;
        let k_work = find::work_factor(&faces[0], k_det);
        let work = find::working_copy(src, &det_img, k_work, k_det);
        let pyr = Pyramid::new(&work);
        run.lap("resample");
        let to_work = k_det as f32 / k_work as f32;
        let face = self.landmarks(&pyr, &faces, to_work, &det_img, run)?;
        run.lap("landmarks");

        // Step 4 (first half): the person and the hair.
        let (mask, hair) = self.segment(&pyr, &face)?;
        run.lap("segment");

        // Step 3: measure and judge.
        let mut m = measure::measure(&measure::Inputs {
            img: &pyr,
            mesh: &face.mesh,
            eyes: &face.eyes,
            mask: &mask,
            hair: &hair,
        });
        m.detection_score = face.score;
        // Report the face in the upload's own pixels.
        m.face_width_px *= k_work as f32;
        run.checks
            .extend(checks::face_checks(&m, profile.background));
        let descriptor = descriptor::describe(&self.models.descriptor, &pyr, &face.mesh)?;
        run.lap("measure");

        // Step 5: where the head is, and where it goes in the frame. The
        // placement and the matte see the person as head, neck and
        // shoulders; the checks above saw all the selfie model found (a hat
        // included).
        let (mask, removed) = mask.head_and_shoulders(&hair, &face.mesh);
        run.checks.push(crate::qa::objects_beside_head(removed));
        let framed = framing::frame(&framing::Inputs {
            mask: &mask,
            mesh: &face.mesh,
            photo: [work.width(), work.height()],
            k_work: k_work as f32,
        });
        run.checks.extend(framed.checks);
        let placement = framed.placement;
        run.lap("place");

        // Steps 4 (second half) and 6: render, matte and compose only a photo
        // no check has refused, check the finished frame, encode what passed.
        let frame = compose::compose(&pyr, &mask, placement.as_ref(), profile, run);
        let mut report = Report::new(std::mem::take(&mut run.checks), run.input.clone());
        report.measurements = Some(m);
        report.regions = Some(Regions::of(&face.mesh, [work.width(), work.height()]));
        let jpeg = compose::encode_passed(frame, &mut report, profile, run)?;
        let sampling = placement.as_ref().map(|p| Sampling {
            k_det,
            k_work,
            frame: compose::output_frame(p),
        });
        report.placement = placement;
        Ok(Outcome {
            jpeg,
            preview: Some(preview),
            report,
            descriptor: Some(descriptor),
            sampling,
            timings: std::mem::take(&mut run.timings),
        })
    }

    /// The person mask, on a square around the head and shoulders that holds
    /// the whole output frame, and the hair mask, on a square from above the
    /// crown to the chin and from ear to ear with room for long hair.
    fn segment(&self, pyr: &Pyramid, face: &Face) -> Result<(PersonMask, HairMask), PhotoError> {
        let (eye_y, centre_x) = (face.mesh.eye_line(), face.mesh.centre_x());
        let fw = face.mesh.face_width();
        let side = fw * 3.6;
        let mask = PersonMask::run(
            &self.models.selfie,
            pyr,
            centre_x - side / 2.0,
            eye_y - 1.6 * fw,
            side,
        )?;
        let hair = HairMask::run(
            &self.models.hair,
            pyr,
            [centre_x, eye_y - 0.1 * fw],
            2.4 * fw,
        )?;
        Ok((mask, hair))
    }

    /// The descriptor of the one face on an ID-card portrait; `None` when
    /// there is no face or more than one, or the file cannot be read.
    pub fn describe_portrait(&self, bytes: &[u8]) -> Result<Option<Descriptor>, PhotoError> {
        let Ok(decoded) = decode::decode(bytes, &self.limits) else {
            return Ok(None);
        };
        self.describe_face(&decoded.image)
    }

    /// The descriptor of the one face in `src`; `None` when there is none or more than one.
    pub fn describe_face(&self, src: &RgbImage) -> Result<Option<Descriptor>, PhotoError> {
        let k = src
            .width()
            .max(src.height())
            .div_ceil(DETECT_SIDE * 2)
            .max(1);
        let img = box_shrink(src, k);
        let faces =
            Detector::default().detect(&self.models.short_range, &self.models.full_range, &img)?;
        let [face] = faces.as_slice() else {
            return Ok(None);
        };
        let mesh = landmarks::mesh(&self.models.face_mesh, &Pyramid::new(&img), face)?;
        if mesh.presence < MIN_PRESENCE {
            return Ok(None);
        }
        Ok(Some(descriptor::describe(
            &self.models.descriptor,
            &Pyramid::new(&img),
            &mesh,
        )?))
    }
}

impl Engine {
    /// The mesh of the largest face in an already decoded image, for tools
    /// that re-measure a finished photo.
    pub fn find_face(&self, img: &RgbImage) -> Result<Option<Mesh>, PhotoError> {
        let faces =
            Detector::default().detect(&self.models.short_range, &self.models.full_range, img)?;
        let Some(f) = faces.first() else {
            return Ok(None);
        };
        let mesh = landmarks::mesh(&self.models.face_mesh, &Pyramid::new(img), f)?;
        Ok((mesh.presence >= MIN_PRESENCE).then_some(mesh))
    }
}
