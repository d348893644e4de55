//! The seven steps of DESIGN §5 in order, with per-stage timings for the
//! bench.

use std::borrow::Cow;
use std::time::Instant;

use domain::ReasonCode as R;
use image::RgbImage;

use crate::checks::{self, failed, passed};
use crate::decode::{self, DecodeLimits};
use crate::descriptor::{self, Descriptor};
use crate::detect::{Detection, Detector};
use crate::encode;
use crate::error::PhotoError;
use crate::framing;
use crate::landmarks::{self, Eye, Mesh, idx};
use crate::matte;
use crate::measure;
use crate::models::Models;
use crate::place::{self, OUT_H, OUT_W};
use crate::profile::Profile;
use crate::raster::{Frame, Pyramid, box_shrink, sparse_shrink};
use crate::report::{Check, InputInfo, OutputInfo, Report, Status};
use crate::segment::{HairMask, PersonMask};

/// The detector sees the photo at most this many pixels on its long side:
/// its own inputs are 128² and 192².
const DETECT_SIDE: u32 = 640;
/// The working copy keeps at least this many pixels across the face, above
/// the 300 px the largest allowed face needs in the output.
const WORK_FACE_PX: f32 = 360.0;
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
        let work = working_copy(img, &det, self.k_work, self.k_det);
        Pyramid::new(&work).sample(&self.frame, OUT_W, OUT_H, fill)
    }
}

/// The copy of the upload the engine works on: shrunk by `k_work`, reusing
/// the detector's copy (shrunk by `k_det`) when that is the same size.
fn working_copy<'a>(
    src: &'a RgbImage,
    det: &'a RgbImage,
    k_work: u32,
    k_det: u32,
) -> Cow<'a, RgbImage> {
    match k_work {
        1 => Cow::Borrowed(src),
        k if k == k_det && k <= 2 => Cow::Borrowed(det),
        k => Cow::Owned(box_shrink(src, k)),
    }
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.report.passed
    }
}

/// What was found of the face, before the decisions.
struct Face {
    mesh: Mesh,
    eyes: [Eye; 2],
}

/// The photo engine: models loaded once, shared by every call.
#[derive(Clone)]
pub struct Engine {
    models: Models,
    limits: DecodeLimits,
}

impl Engine {
    pub fn new(models: Models) -> Self {
        Self {
            models,
            limits: DecodeLimits::default(),
        }
    }

    pub fn load() -> Result<Self, PhotoError> {
        Ok(Self::new(Models::load()?))
    }

    /// Turn a photo into the standard file, or refuse it with reasons. `Err`
    /// only for engine faults; every problem with the photo is a refused
    /// [`Outcome`].
    pub fn standardize(&self, bytes: &[u8], profile: &Profile) -> Result<Outcome, PhotoError> {
        let mut t = Timings::default();
        let mut clock = Instant::now();
        let decoded = match decode::decode(bytes, &self.limits) {
            Ok(d) => d,
            Err(e) => return refused_file(e, bytes.len(), t),
        };
        t.lap("decode", &mut clock);
        let src = decoded.image;
        let input = InputInfo {
            bytes: bytes.len(),
            format: Some(decoded.format),
            width: src.width(),
            height: src.height(),
            exif_orientation: decoded.exif_orientation,
        };
        let mut checks: Vec<Check> = Vec::new();

        // Step 2: faces.
        let k_det = src.width().max(src.height()).div_ceil(DETECT_SIDE).max(1);
        let det_img = sparse_shrink(&src, k_det);
        let faces = Detector::default().detect(
            &self.models.short_range,
            &self.models.full_range,
            &det_img,
        )?;
        t.lap("detect", &mut clock);
        let Some(primary) = faces.first() else {
            let code = if self.sideways_face(&det_img)? {
                R::Rotated
            } else {
                R::NoFace
            };
            checks.push(failed(
                "face_found",
                code,
                Some(0.0),
                Some(1.0),
                "faces",
                "no upright face found",
            ));
            return Ok(refused(checks, input, t));
        };
        let roll = primary.eye_angle().to_degrees();
        if roll.abs() > SIDEWAYS_DEG {
            checks.push(failed(
                "upright",
                R::Rotated,
                Some(roll.abs()),
                Some(SIDEWAYS_DEG),
                "deg",
                "the face is sideways or upside down",
            ));
            return Ok(refused(checks, input, t));
        }

        // Working copy: enough pixels across the face, no more.
        let face_src = primary.size[0] * k_det as f32;
        let k_work = ((face_src / WORK_FACE_PX).floor() as u32).clamp(1, k_det.max(1) * 4);
        let work = working_copy(&src, &det_img, k_work, k_det);
        let work: &RgbImage = &work;
        let pyr = Pyramid::new(work);
        let to_work = k_det as f32 / k_work as f32;
        let scaled = |d: &Detection| {
            let mut d = d.clone();
            d.centre = d.centre.map(|v| v * to_work);
            d.size = d.size.map(|v| v * to_work);
            d.keypoints = d.keypoints.map(|p| p.map(|v| v * to_work));
            d
        };
        t.lap("resample", &mut clock);

        let mesh = landmarks::mesh(&self.models.face_mesh, &pyr, &scaled(primary))?;
        if mesh.presence < MIN_PRESENCE {
            let code = if self.sideways_face(&det_img)? {
                R::Rotated
            } else {
                R::NoFace
            };
            checks.push(failed(
                "face_found",
                code,
                Some(mesh.presence),
                Some(MIN_PRESENCE),
                "presence",
                "the detected shape is not a human face",
            ));
            return Ok(refused(checks, input, t));
        }
        checks.push(passed(
            "face_found",
            R::NoFace,
            Some(mesh.presence),
            Some(MIN_PRESENCE),
            "presence",
        ));

        // Other people: each further detection confirmed by the mesh.
        let fw_work = mesh.face_width();
        let mut others = Vec::new();
        for d in faces.iter().skip(1) {
            let d = scaled(d);
            let m = landmarks::mesh_at(
                &self.models.face_mesh,
                &pyr,
                d.centre,
                d.size[0].max(d.size[1]) * 1.5,
                d.eye_angle(),
            )?;
            if m.presence >= MIN_PRESENCE {
                others.push(d.size[0] / fw_work);
            }
        }
        checks.push(second_face_check(&others));

        let eyes = [
            landmarks::eye(
                &self.models.iris,
                &pyr,
                mesh.xy(idx::LEFT_EYE_OUTER),
                mesh.xy(idx::LEFT_EYE_INNER),
                false,
            )?,
            landmarks::eye(
                &self.models.iris,
                &pyr,
                mesh.xy(idx::RIGHT_EYE_OUTER),
                mesh.xy(idx::RIGHT_EYE_INNER),
                true,
            )?,
        ];
        let face = Face { mesh, eyes };
        t.lap("landmarks", &mut clock);

        // Step 4 (first half): the person mask, on a square around the head
        // and shoulders that holds the whole output frame.
        let (eye_y, centre_x) = (face.mesh.eye_line(), face.mesh.centre_x());
        let side = fw_work * 3.6;
        let mask = PersonMask::run(
            &self.models.selfie,
            &pyr,
            centre_x - side / 2.0,
            eye_y - 1.6 * fw_work,
            side,
        )?;
        // The hair, on a square around the head from above the crown to the
        // chin and from ear to ear with room for long hair.
        let hair = HairMask::run(
            &self.models.hair,
            &pyr,
            [centre_x, eye_y - 0.1 * fw_work],
            2.4 * fw_work,
        )?;
        t.lap("segment", &mut clock);

        // Step 3: measure and judge.
        let mut m = measure::measure(&measure::Inputs {
            img: &pyr,
            mesh: &face.mesh,
            eyes: &face.eyes,
            mask: &mask,
            hair: &hair,
        });
        m.detection_score = primary.score;
        // Report the face in the upload's own pixels.
        m.face_width_px *= k_work as f32;
        checks.extend(checks::face_checks(&m, profile.background));
        let descriptor = descriptor::describe(&self.models.descriptor, &pyr, &face.mesh)?;
        t.lap("measure", &mut clock);

        // Step 5: where the head is, and where it goes in the frame. The
        // placement and the matte see the person as head, neck and
        // shoulders; the checks above saw all the selfie model found (a hat
        // included).
        let (mask, removed) = mask.head_and_shoulders(&hair, &face.mesh);
        checks.push(crate::qa::objects_beside_head(removed));
        let framed = framing::frame(&framing::Inputs {
            mask: &mask,
            mesh: &face.mesh,
            photo: [work.width(), work.height()],
            k_work: k_work as f32,
        });
        checks.extend(framed.checks);
        let placement = framed.placement;
        t.lap("place", &mut clock);

        // Step 4 (second half): render, matte and compose only a photo no
        // check has refused; the finished frame is checked too (output QA).
        let refused = checks.iter().any(|c| c.status == Status::Fail);
        let frame = match (refused, &placement) {
            (false, Some(p)) => {
                let out = render(&pyr, &mask, &output_frame(p), profile.background);
                t.lap("matte", &mut clock);
                checks.push(crate::qa::background_clean(&out, profile.background, p));
                Some(out)
            }
            _ => None,
        };
        let mut report = Report::new(checks, input);
        report.measurements = Some(m);
        // Step 6: encode what passed.
        let jpeg = match frame {
            Some(out) if report.passed => {
                let enc = encode::encode(&out, profile.size_window)?;
                t.lap("encode", &mut clock);
                report.output = Some(OutputInfo {
                    width: OUT_W,
                    height: OUT_H,
                    bytes: enc.jpeg.len(),
                    quality: enc.quality,
                    dpi: 300,
                    background: profile.background,
                    size_window: profile.size_window,
                    size_in_window: enc.in_window,
                });
                Some(enc.jpeg)
            }
            _ => None,
        };
        let sampling = placement.as_ref().map(|p| Sampling {
            k_det,
            k_work,
            frame: output_frame(p),
        });
        report.placement = placement;
        Ok(Outcome {
            jpeg,
            report,
            descriptor: Some(descriptor),
            sampling,
            timings: t,
        })
    }

    /// The descriptor of the one face on an ID-card portrait; `None` when
    /// there is no face or more than one, or the file cannot be read.
    pub fn describe_portrait(&self, bytes: &[u8]) -> Result<Option<Descriptor>, PhotoError> {
        let Ok(decoded) = decode::decode(bytes, &self.limits) else {
            return Ok(None);
        };
        let src = decoded.image;
        let k = src
            .width()
            .max(src.height())
            .div_ceil(DETECT_SIDE * 2)
            .max(1);
        let img = box_shrink(&src, k);
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

    /// Is there a face when the photo is turned a quarter or half turn?
    fn sideways_face(&self, img: &RgbImage) -> Result<bool, PhotoError> {
        for turned in [
            image::imageops::rotate90(img),
            image::imageops::rotate270(img),
            image::imageops::rotate180(img),
        ] {
            let faces = Detector::default().detect(
                &self.models.short_range,
                &self.models.full_range,
                &turned,
            )?;
            if let Some(f) = faces.first() {
                let m = landmarks::mesh(&self.models.face_mesh, &Pyramid::new(&turned), f)?;
                if m.presence >= MIN_PRESENCE && f.eye_angle().to_degrees().abs() < SIDEWAYS_DEG {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

fn refused_file(e: PhotoError, bytes: usize, timings: Timings) -> Result<Outcome, PhotoError> {
    let Some(code) = e.reason() else {
        return Err(e);
    };
    let checks = vec![failed("file", code, None, None, "", &e.to_string())];
    let input = InputInfo {
        bytes,
        format: None,
        width: 0,
        height: 0,
        exif_orientation: 1,
    };
    Ok(refused(checks, input, timings))
}

fn refused(checks: Vec<Check>, input: InputInfo, timings: Timings) -> Outcome {
    Outcome {
        jpeg: None,
        report: Report::new(checks, input),
        descriptor: None,
        sampling: None,
        timings,
    }
}

fn second_face_check(others: &[f32]) -> Check {
    let largest = others.iter().copied().fold(0.0f32, f32::max);
    let mut c = passed(
        "single_face",
        R::MultipleFaces,
        Some(others.len() as f32 + 1.0),
        Some(1.0),
        "faces",
    );
    if largest >= SECOND_FACE_MIN_RATIO {
        c.status = Status::Fail;
        c.note = Some(format!(
            "another face {:.0}% the width of the student's",
            largest * 100.0
        ));
    } else if !others.is_empty() {
        c.status = Status::Review;
        c.note = Some("a small face far behind the student".into());
    }
    c
}

/// The output frame in the working copy's pixels.
fn output_frame(p: &place::Placement) -> Frame {
    let step = 1.0 / p.scale;
    Frame::axis(-p.offset[0] * step, -p.offset[1] * step, step)
}

/// Render the output frame from the working copy: scale and translate,
/// refine the matte at output resolution, composite onto the profile colour.
fn render(pyr: &Pyramid, mask: &PersonMask, frame: &Frame, bg: [u8; 3]) -> RgbImage {
    let frame = *frame;
    let bgf = bg.map(|c| c as f32);
    let rgb = pyr.sample(&frame, OUT_W, OUT_H, bgf);
    let (w, h) = (OUT_W as usize, OUT_H as usize);
    let (ww, wh) = (pyr.base().width() as f32, pyr.base().height() as f32);
    let mut coarse = vec![0f32; w * h];
    let mut in_photo = vec![false; w * h];
    for v in 0..h {
        for u in 0..w {
            let [x, y] = frame.to_source(u as f32 + 0.5, v as f32 + 0.5);
            if x >= 0.0 && y >= 0.0 && x < ww && y < wh {
                coarse[v * w + u] = mask.at(x, y);
                in_photo[v * w + u] = true;
            }
        }
    }
    let mut rgb = rgb;
    // Continue the clothes below a photo that ends up to BOTTOM_SLACK short
    // of the frame's bottom edge (the solver allows no more): the mean of
    // the last rows, smoothed along the row, so fabric texture does not
    // repeat into visible streaks.
    let last = (0..h)
        .rev()
        .find(|&v| frame.to_source(0.0, v as f32 + 1.0)[1] <= wh);
    if let Some(last) = last.filter(|&l| l + 1 < h && l >= 8) {
        let mut fill = vec![[0f32; 3]; w];
        for v in last - 7..=last {
            for (f, p) in fill.iter_mut().zip(&rgb[v * w..(v + 1) * w]) {
                (0..3).for_each(|c| f[c] += p[c] / 8.0);
            }
        }
        let smooth: [Vec<f32>; 3] = [0, 1, 2].map(|c| {
            let ch: Vec<f32> = fill.iter().map(|p| p[c]).collect();
            crate::raster::box_mean(&ch, w, 1, 12)
        });
        for v in last + 1..h {
            for u in 0..w {
                rgb[v * w + u] = [smooth[0][u], smooth[1][u], smooth[2][u]];
            }
            coarse.copy_within(last * w..(last + 1) * w, v * w);
            in_photo.copy_within(last * w..(last + 1) * w, v * w);
        }
    }
    let alpha = matte::refine(&rgb, &coarse, w, h);
    matte::composite(&rgb, &in_photo, &alpha, w, h, bg)
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
