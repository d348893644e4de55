//! Face match: the 128-d dlib descriptor of a face, compared by Euclidean
//! distance, for the ID-card portrait against the collected photo.

use serde::{Deserialize, Serialize};

use crate::error::PhotoError;
use crate::landmarks::{Mesh, idx};
use crate::models::Model;
use crate::raster::{Frame, Pyramid};

/// Same person when the distance is at most this, and no closer to it than
/// `domain::face::TOO_CLOSE_TO_CALL` (within that band the submission says
/// `uncertain` and the reviewer compares by eye). Evidence:
/// `fixtures/photos/PAIRS.csv` (`idphoto compare` on the 20 of its 21 pairs
/// without a second face, and the development-set test
/// `face_match_never_calls_a_labelled_pair_wrongly` on all 21): 11 of the 12
/// same-person pairs read 0.13–0.43, the 12th 0.556 (small faces of two
/// sessions, one in tinted glasses); 5 of the 8 different-person pairs read
/// 0.66–0.78, the others 0.600, 0.608 and 0.610: two young Black men and two pairs of
/// young East Asian men and women, each pair from one studio (where dlib is
/// weakest: faces alike in age, light and camera). So 0.6 is the edge of the
/// different-person spread, not a gap, and only the band makes it safe: no
/// labelled pair of two people reads `same` (at most 0.57), none of one
/// person `different`. dlib published 0.6 for this network (99.38 % on LFW).
pub const SAME_PERSON_MAX_DISTANCE: f32 = domain::face::SAME_PERSON_MAX_DISTANCE;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Descriptor(pub Vec<f32>);

impl Descriptor {
    /// The Euclidean distance (the submission compares stored vectors with the same
    /// function); infinite when the two cannot be compared.
    pub fn distance(&self, other: &Descriptor) -> f32 {
        domain::face::distance(&self.0, &other.0).unwrap_or(f32::INFINITY)
    }
}

/// dlib's mean face shape (`get_face_chip_details`, dlib, Boost licence) at
/// the seven points the mesh has reliable equivalents for: outer and inner
/// eye corners, below the nose, mouth corners. Unit square coordinates.
const TEMPLATE: [(usize, [f32; 2]); 7] = [
    (idx::LEFT_EYE_OUTER, [0.121737, 0.216423]),
    (idx::LEFT_EYE_INNER, [0.334606, 0.231733]),
    (idx::RIGHT_EYE_INNER, [0.645647, 0.231733]),
    (idx::RIGHT_EYE_OUTER, [0.858516, 0.216423]),
    (idx::BELOW_NOSE, [0.490127, 0.628106]),
    (idx::MOUTH_LEFT, [0.254149, 0.780233]),
    (idx::MOUTH_RIGHT, [0.726104, 0.780233]),
];
const CHIP: u32 = 150;
/// The network was trained on chips with 25% padding around the template.
const PADDING: f32 = 0.25;

/// The similarity (scale, rotation, translation; Umeyama without
/// reflection) taking image points onto the chip, as complex numbers:
/// chip = a·p + b. Returns the chip's sampling frame (its inverse).
fn chip_frame(mesh: &Mesh) -> Frame {
    let chip = |t: [f32; 2]| t.map(|v| (v + PADDING) / (1.0 + 2.0 * PADDING) * CHIP as f32);
    let src: Vec<[f32; 2]> = TEMPLATE.iter().map(|(i, _)| mesh.xy(*i)).collect();
    let dst: Vec<[f32; 2]> = TEMPLATE.iter().map(|(_, t)| chip(*t)).collect();
    let n = src.len() as f32;
    let mean = |v: &[[f32; 2]]| {
        v.iter()
            .fold([0.0, 0.0], |m, p| [m[0] + p[0] / n, m[1] + p[1] / n])
    };
    let (ms, md) = (mean(&src), mean(&dst));
    let (mut re, mut im, mut norm) = (0.0, 0.0, 0.0);
    for (s, d) in src.iter().zip(&dst) {
        let (sx, sy) = (s[0] - ms[0], s[1] - ms[1]);
        let (dx, dy) = (d[0] - md[0], d[1] - md[1]);
        // conj(s) · d
        re += sx * dx + sy * dy;
        im += sx * dy - sy * dx;
        norm += sx * sx + sy * sy;
    }
    let (ar, ai) = (re / norm.max(1e-6), im / norm.max(1e-6));
    // Inverse: p = (chip − b)/a with b = md − a·ms.
    let m2 = ar * ar + ai * ai;
    let inv = |v: [f32; 2]| [(v[0] * ar + v[1] * ai) / m2, (v[1] * ar - v[0] * ai) / m2];
    let ux = inv([1.0, 0.0]);
    let vy = inv([0.0, 1.0]);
    let o = inv([-md[0], -md[1]]);
    Frame {
        origin: [o[0] + ms[0], o[1] + ms[1]],
        ux,
        vy,
    }
}

pub fn describe(model: &Model, img: &Pyramid, mesh: &Mesh) -> Result<Descriptor, PhotoError> {
    let frame = chip_frame(mesh);
    let px = img.sample(&frame, CHIP, CHIP, [0.0; 3]);
    let input: Vec<f32> = px.into_iter().flatten().collect();
    let out = model.run(input)?;
    let v = out
        .into_iter()
        .find(|o| o.len() == 128)
        .ok_or_else(|| PhotoError::model("descriptor", "unexpected output shape"))?;
    Ok(Descriptor(v))
}
