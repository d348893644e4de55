//! Step 2b: the 468-point face mesh and, for each eye, the iris model's eye
//! contour and iris. Indices follow MediaPipe's canonical topology; "image-
//! left" is the subject's right.

use crate::detect::Detection;
use crate::error::PhotoError;
use crate::models::Model;
use crate::raster::{Frame, Pyramid};

pub mod mirror;

pub mod idx {
    pub const LEFT_EYE_OUTER: usize = 33;
    pub const LEFT_EYE_INNER: usize = 133;
    pub const RIGHT_EYE_INNER: usize = 362;
    pub const RIGHT_EYE_OUTER: usize = 263;
    pub const MOUTH_LEFT: usize = 61;
    pub const MOUTH_RIGHT: usize = 291;
    pub const LIP_INNER_UPPER: usize = 13;
    pub const LIP_INNER_LOWER: usize = 14;
    pub const CHEEK_LEFT: usize = 234;
    pub const CHEEK_RIGHT: usize = 454;
    /// Face outline at the height of the nose's base, below each ear.
    pub const LOBE_LEFT: usize = 132;
    pub const LOBE_RIGHT: usize = 361;
    pub const FOREHEAD: usize = 10;
    pub const CHIN: usize = 152;
    pub const NOSE_TIP: usize = 1;
    pub const BELOW_NOSE: usize = 2;
    pub const LEFT_BROW: [usize; 5] = [70, 63, 105, 66, 107];
    pub const RIGHT_BROW: [usize; 5] = [336, 296, 334, 293, 300];
}

/// Mesh points in source pixels; z is depth in the same unit (smaller is
/// nearer the camera).
#[derive(Debug, Clone)]
pub struct Mesh {
    pub points: Vec<[f32; 3]>,
    /// Face-presence probability from the mesh model: a detector box on a
    /// poster pattern or a cat gets a low value.
    pub presence: f32,
}

impl Mesh {
    pub fn xy(&self, i: usize) -> [f32; 2] {
        [self.points[i][0], self.points[i][1]]
    }

    /// Bounding box (x0, y0, x1, y1) of the mesh.
    pub fn bounds(&self) -> [f32; 4] {
        self.points
            .iter()
            .fold([f32::MAX, f32::MAX, f32::MIN, f32::MIN], |b, p| {
                [
                    b[0].min(p[0]),
                    b[1].min(p[1]),
                    b[2].max(p[0]),
                    b[3].max(p[1]),
                ]
            })
    }

    /// Face width, cheek to cheek (234–454): the unit every proportion of the
    /// face is measured in.
    pub fn face_width(&self) -> f32 {
        let (a, b) = (self.xy(idx::CHEEK_LEFT), self.xy(idx::CHEEK_RIGHT));
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
    }

    /// Height of the eye line (the outer eye corners' mean).
    pub fn eye_line(&self) -> f32 {
        (self.xy(idx::LEFT_EYE_OUTER)[1] + self.xy(idx::RIGHT_EYE_OUTER)[1]) / 2.0
    }

    /// The face's horizontal centre, midway between the cheeks.
    pub fn centre_x(&self) -> f32 {
        (self.xy(idx::CHEEK_LEFT)[0] + self.xy(idx::CHEEK_RIGHT)[0]) / 2.0
    }

    /// Roll: angle of the line between the outer eye corners (radians).
    pub fn roll(&self) -> f32 {
        let a = self.xy(idx::LEFT_EYE_OUTER);
        let b = self.xy(idx::RIGHT_EYE_OUTER);
        (b[1] - a[1]).atan2(b[0] - a[0])
    }
}

fn to_nchw01(px: &[[f32; 3]], n: usize) -> Vec<f32> {
    let mut input = vec![0f32; 3 * n * n];
    for (i, p) in px.iter().enumerate() {
        for c in 0..3 {
            input[c * n * n + i] = p[c] / 255.0;
        }
    }
    input
}

/// The mesh model's input side.
const MESH_N: u32 = 192;

/// Run the mesh on a square crop `side` px wide centred on `centre`, turned
/// by `angle` so that the eyes are level in the crop, as the model expects.
pub fn mesh_at(
    model: &Model,
    img: &Pyramid,
    centre: [f32; 2],
    side: f32,
    angle: f32,
) -> Result<Mesh, PhotoError> {
    let frame = Frame::rotated_square(centre, side, angle, MESH_N);
    read_mesh(model, img, &frame, MESH_N)
}

/// [`mesh_at`] read on the crop and on its mirror image, each point averaged
/// with its partner's reading in the mirror: alone, the model places the
/// lobes and the brows a few pixels differently on a photo and on its
/// mirror, enough to flip a check that sits near its limit (on the
/// development set the 90th percentile of the difference in yaw fell from
/// 3.1° to 0.6°, in the hair over the ears from 0.15 to 0.04).
pub fn symmetric_mesh_at(
    model: &Model,
    img: &Pyramid,
    centre: [f32; 2],
    side: f32,
    angle: f32,
) -> Result<Mesh, PhotoError> {
    let frame = Frame::rotated_square(centre, side, angle, MESH_N);
    let seen = read_mesh(model, img, &frame, MESH_N)?;
    let mirrored = read_mesh(model, img, &frame.mirrored(MESH_N), MESH_N)?;
    let points = seen
        .points
        .iter()
        .zip(mirror::PARTNER)
        .map(|(a, j)| {
            let b = mirrored.points[j as usize];
            [
                (a[0] + b[0]) / 2.0,
                (a[1] + b[1]) / 2.0,
                (a[2] + b[2]) / 2.0,
            ]
        })
        .collect();
    Ok(Mesh {
        points,
        presence: (seen.presence + mirrored.presence) / 2.0,
    })
}

/// One reading of the mesh model on the crop `frame` samples, in source pixels.
fn read_mesh(model: &Model, img: &Pyramid, frame: &Frame, n: u32) -> Result<Mesh, PhotoError> {
    let input = to_nchw01(&img.sample(frame, n, n, [0.0; 3]), n as usize);
    let outputs = model.run(input)?;
    let (pts, presence) = match (
        outputs.iter().find(|o| o.len() == 1404),
        outputs.iter().find(|o| o.len() == 1),
    ) {
        (Some(p), Some(s)) => (p, s[0]),
        _ => return Err(PhotoError::model("face mesh", "unexpected output shapes")),
    };
    let step = frame.step();
    let points = pts
        .chunks_exact(3)
        .map(|p| {
            let [x, y] = frame.to_source(p[0], p[1]);
            [x, y, p[2] * step]
        })
        .collect();
    Ok(Mesh {
        points,
        presence: 1.0 / (1.0 + (-presence).exp()),
    })
}

/// The mesh of a detected face: a first pass on the detector's box, then a
/// second on the box of the first mesh, which centres the face as the model
/// was trained (MediaPipe tracks the face the same way between frames). Both
/// passes are symmetric: the first one places the second's crop.
pub fn mesh(model: &Model, img: &Pyramid, det: &Detection) -> Result<Mesh, PhotoError> {
    let angle = det.eye_angle();
    let side = det.size[0].max(det.size[1]) * 1.5;
    let first = symmetric_mesh_at(model, img, det.centre, side, angle)?;
    let b = first.bounds();
    let centre = [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
    let side = (b[2] - b[0]).max(b[3] - b[1]) * 1.5;
    symmetric_mesh_at(model, img, centre, side, first.roll())
}

/// One eye from the iris model, in source pixels, with the eye's own
/// frame so that openness can be read in the eye's axes.
#[derive(Debug, Clone)]
pub struct Eye {
    /// 71 eye-contour and brow points; the first 16 outline the lids.
    pub contour: Vec<[f32; 2]>,
    /// Iris centre then 4 points on the iris edge.
    pub iris: [[f32; 2]; 5],
    /// Lid opening: height over width of the lid outline, measured in the
    /// crop (which is turned to the eye line). About 0.3 open, under 0.15 shut.
    pub openness: f32,
    /// The crop this eye was read from (64² pixels).
    pub frame: Frame,
}

/// Run the iris model on the eye between two corners. The model was
/// trained on one side; the other eye is mirrored into it.
pub fn eye(
    model: &Model,
    img: &Pyramid,
    outer: [f32; 2],
    inner: [f32; 2],
    mirror: bool,
) -> Result<Eye, PhotoError> {
    const N: u32 = 64;
    let centre = [(outer[0] + inner[0]) / 2.0, (outer[1] + inner[1]) / 2.0];
    let dist = ((outer[0] - inner[0]).powi(2) + (outer[1] - inner[1]).powi(2)).sqrt();
    let (a, b) = if outer[0] < inner[0] {
        (outer, inner)
    } else {
        (inner, outer)
    };
    let angle = (b[1] - a[1]).atan2(b[0] - a[0]);
    let mut frame = Frame::rotated_square(centre, dist * 2.3, angle, N);
    if mirror {
        frame = frame.mirrored(N);
    }
    let input = to_nchw01(&img.sample(&frame, N, N, [0.0; 3]), N as usize);
    let outputs = model.run(input)?;
    let (contour, iris) = match (
        outputs.iter().find(|o| o.len() == 213),
        outputs.iter().find(|o| o.len() == 15),
    ) {
        (Some(c), Some(i)) => (c, i),
        _ => return Err(PhotoError::model("iris", "unexpected output shapes")),
    };
    let lids: Vec<[f32; 2]> = contour
        .chunks_exact(3)
        .take(16)
        .map(|p| [p[0], p[1]])
        .collect();
    let span = |k: usize| {
        let (lo, hi) = lids.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| {
            (lo.min(p[k]), hi.max(p[k]))
        });
        hi - lo
    };
    let openness = span(1) / span(0).max(1e-3);
    let to_src = |p: &[f32]| frame.to_source(p[0], p[1]);
    let mut iris_pts = [[0.0; 2]; 5];
    for (k, p) in iris.chunks_exact(3).enumerate() {
        iris_pts[k] = to_src(p);
    }
    Ok(Eye {
        contour: contour.chunks_exact(3).map(to_src).collect(),
        iris: iris_pts,
        openness,
        frame,
    })
}
