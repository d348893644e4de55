//! Step 2a: find faces with MediaPipe BlazeFace. The short-range model sees
//! faces that fill a good part of the frame (a portrait); the full-range one
//! also finds small faces, such as other people behind the student.

use image::RgbImage;

use crate::error::PhotoError;
use crate::models::Model;
use crate::raster::{Frame, Pyramid};

/// One face in source-image coordinates.
#[derive(Debug, Clone)]
pub struct Detection {
    pub centre: [f32; 2],
    pub size: [f32; 2],
    /// Right eye, left eye, nose tip, mouth centre, right ear tragion, left
    /// ear tragion (the subject's right is image-left).
    pub keypoints: [[f32; 2]; 6],
    pub score: f32,
}

impl Detection {
    /// Angle of the line from the image-left eye to the image-right eye, in
    /// radians (0 for an upright face, ±π/2 for a sideways one).
    pub fn eye_angle(&self) -> f32 {
        let [r, l] = [self.keypoints[0], self.keypoints[1]];
        (l[1] - r[1]).atan2(l[0] - r[0])
    }

    fn iou(&self, o: &Detection) -> f32 {
        let inter = |a0: f32, a1: f32, b0: f32, b1: f32| (a1.min(b1) - a0.max(b0)).max(0.0);
        let ix = inter(
            self.centre[0] - self.size[0] / 2.0,
            self.centre[0] + self.size[0] / 2.0,
            o.centre[0] - o.size[0] / 2.0,
            o.centre[0] + o.size[0] / 2.0,
        );
        let iy = inter(
            self.centre[1] - self.size[1] / 2.0,
            self.centre[1] + self.size[1] / 2.0,
            o.centre[1] - o.size[1] / 2.0,
            o.centre[1] + o.size[1] / 2.0,
        );
        let i = ix * iy;
        i / (self.size[0] * self.size[1] + o.size[0] * o.size[1] - i).max(1e-6)
    }
}

/// Anchor grids of the two models, as (strides, anchors per cell).
struct Anchors {
    input: usize,
    centres: Vec<[f32; 2]>,
}

impl Anchors {
    fn new(input: usize, layers: &[(usize, usize)]) -> Self {
        let mut centres = Vec::new();
        for &(stride, per_cell) in layers {
            let grid = input / stride;
            for y in 0..grid {
                for x in 0..grid {
                    for _ in 0..per_cell {
                        centres.push([
                            (x as f32 + 0.5) / grid as f32,
                            (y as f32 + 0.5) / grid as f32,
                        ]);
                    }
                }
            }
        }
        Self { input, centres }
    }
}

/// Minimum detector confidence for a face (MediaPipe's default is 0.5).
pub const MIN_SCORE: f32 = 0.5;
/// Overlap above which two boxes are the same face.
const NMS_IOU: f32 = 0.3;

/// Run one BlazeFace model on the whole image, letterboxed to a square.
fn run(model: &Model, anchors: &Anchors, img: &Pyramid) -> Result<Vec<Detection>, PhotoError> {
    let (w, h) = (img.base().width() as f32, img.base().height() as f32);
    let side = w.max(h);
    let n = anchors.input;
    let frame = Frame::axis(-(side - w) / 2.0, -(side - h) / 2.0, side / n as f32);
    let px = img.sample(&frame, n as u32, n as u32, [0.0; 3]);
    let mut input = vec![0f32; 3 * n * n];
    for (i, p) in px.iter().enumerate() {
        for c in 0..3 {
            input[c * n * n + i] = p[c] / 127.5 - 1.0;
        }
    }
    let outputs = model.run(input)?;
    let count = anchors.centres.len();
    let (regs, scores) = match (
        outputs.iter().find(|o| o.len() == count * 16),
        outputs.iter().find(|o| o.len() == count),
    ) {
        (Some(r), Some(s)) => (r, s),
        _ => return Err(PhotoError::model("blazeface", "unexpected output shapes")),
    };
    let to_src = |x: f32, y: f32| frame.to_source(x * n as f32, y * n as f32);
    let mut found = Vec::new();
    for (i, anchor) in anchors.centres.iter().enumerate() {
        let score = 1.0 / (1.0 + (-scores[i].clamp(-80.0, 80.0)).exp());
        if score < MIN_SCORE {
            continue;
        }
        let r = &regs[i * 16..(i + 1) * 16];
        let nf = n as f32;
        let centre = to_src(anchor[0] + r[0] / nf, anchor[1] + r[1] / nf);
        let mut keypoints = [[0.0; 2]; 6];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            *kp = to_src(anchor[0] + r[4 + 2 * k] / nf, anchor[1] + r[5 + 2 * k] / nf);
        }
        found.push(Detection {
            centre,
            size: [r[2] / nf * side, r[3] / nf * side],
            keypoints,
            score,
        });
    }
    Ok(found)
}

/// Weighted non-maximum suppression, as MediaPipe does: overlapping boxes
/// are averaged by score, which steadies the box of a large face.
fn suppress(mut found: Vec<Detection>) -> Vec<Detection> {
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    let mut used = vec![false; found.len()];
    for i in 0..found.len() {
        if used[i] {
            continue;
        }
        let mut acc = Detection {
            centre: [0.0; 2],
            size: [0.0; 2],
            keypoints: [[0.0; 2]; 6],
            score: found[i].score,
        };
        let mut total = 0.0;
        for j in i..found.len() {
            if used[j] || found[i].iou(&found[j]) < NMS_IOU {
                continue;
            }
            used[j] = true;
            let wgt = found[j].score;
            total += wgt;
            for c in 0..2 {
                acc.centre[c] += found[j].centre[c] * wgt;
                acc.size[c] += found[j].size[c] * wgt;
            }
            for k in 0..6 {
                for c in 0..2 {
                    acc.keypoints[k][c] += found[j].keypoints[k][c] * wgt;
                }
            }
        }
        for c in 0..2 {
            acc.centre[c] /= total;
            acc.size[c] /= total;
        }
        for kp in acc.keypoints.iter_mut() {
            kp[0] /= total;
            kp[1] /= total;
        }
        kept.push(acc);
    }
    kept
}

/// The two detectors, their anchors built once.
pub struct Detector {
    short: Anchors,
    full: Anchors,
}

impl Default for Detector {
    fn default() -> Self {
        Self {
            short: Anchors::new(128, &[(8, 2), (16, 6)]),
            full: Anchors::new(192, &[(4, 1)]),
        }
    }
}

impl Detector {
    /// All faces found by either model, largest first.
    pub fn detect(
        &self,
        short: &Model,
        full: &Model,
        img: &RgbImage,
    ) -> Result<Vec<Detection>, PhotoError> {
        let pyr = Pyramid::new(img);
        let mut all = run(short, &self.short, &pyr)?;
        all.extend(run(full, &self.full, &pyr)?);
        let mut faces = suppress(all);
        faces.sort_by(|a, b| (b.size[0] * b.size[1]).total_cmp(&(a.size[0] * a.size[1])));
        Ok(faces)
    }
}
