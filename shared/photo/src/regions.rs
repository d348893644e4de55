//! Where the parts of the head the checks look at are on the upload, so that a client can
//! point at what to fix ("闭眼" drawn around the eyes). Boxes are fractions of the upload's
//! width and height as the student sees it (after its EXIF turn), sized from the face mesh
//! in face widths, so they follow the face however large it is in the photo.

use domain::Region;
use serde::Serialize;

use crate::landmarks::{Mesh, idx};

/// A box on the upload: left, top, width and height, each a fraction of the upload's size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Area {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// The regions of [`domain::Region`] on one upload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regions {
    pub eyes: Vec<Area>,
    pub mouth: Vec<Area>,
    /// Image-left and image-right.
    pub ears: Vec<Area>,
    pub top_of_head: Vec<Area>,
}

impl Regions {
    /// From the mesh of the face on an image `size` pixels large.
    pub fn of(mesh: &Mesh, size: [u32; 2]) -> Self {
        let fw = mesh.face_width();
        let [w, h] = [size[0] as f32, size[1] as f32];
        // A box from pixel corners, clamped to the image, as fractions.
        let area = |x0: f32, y0: f32, x1: f32, y1: f32| {
            let (x0, x1) = (x0.clamp(0.0, w) / w, x1.clamp(0.0, w) / w);
            let (y0, y1) = (y0.clamp(0.0, h) / h, y1.clamp(0.0, h) / h);
            Area {
                x: x0,
                y: y0,
                w: (x1 - x0).max(0.0),
                h: (y1 - y0).max(0.0),
            }
        };
        let xs = |points: &[usize]| {
            points
                .iter()
                .map(|&i| mesh.xy(i)[0])
                .fold((f32::MAX, f32::MIN), |(a, b), x| (a.min(x), b.max(x)))
        };
        let eye_line = mesh.eye_line();
        let (eye_x0, eye_x1) = xs(&[idx::LEFT_EYE_OUTER, idx::RIGHT_EYE_OUTER]);
        let eyes = area(
            eye_x0 - 0.08 * fw,
            eye_line - 0.14 * fw,
            eye_x1 + 0.08 * fw,
            eye_line + 0.10 * fw,
        );
        let (mouth_x0, mouth_x1) = xs(&[idx::MOUTH_LEFT, idx::MOUTH_RIGHT]);
        let lips = (mesh.xy(idx::LIP_INNER_UPPER)[1] + mesh.xy(idx::LIP_INNER_LOWER)[1]) / 2.0;
        let mouth = area(
            mouth_x0 - 0.06 * fw,
            lips - 0.10 * fw,
            mouth_x1 + 0.06 * fw,
            lips + 0.10 * fw,
        );
        // An ear lies outside the cheek, from the eye line to below the lobe.
        let lobe = mesh.xy(idx::LOBE_LEFT)[1].max(mesh.xy(idx::LOBE_RIGHT)[1]);
        let (cheek_l, cheek_r) = (mesh.xy(idx::CHEEK_LEFT)[0], mesh.xy(idx::CHEEK_RIGHT)[0]);
        let (outer_l, outer_r) = (cheek_l.min(cheek_r), cheek_l.max(cheek_r));
        let ears = vec![
            area(
                outer_l - 0.22 * fw,
                eye_line - 0.05 * fw,
                outer_l + 0.04 * fw,
                lobe + 0.15 * fw,
            ),
            area(
                outer_r - 0.04 * fw,
                eye_line - 0.05 * fw,
                outer_r + 0.22 * fw,
                lobe + 0.15 * fw,
            ),
        ];
        // Above the forehead's top, as high as a hat or a hair ornament sits.
        let forehead = mesh.xy(idx::FOREHEAD)[1];
        let top_of_head = area(outer_l, forehead - 0.65 * fw, outer_r, forehead + 0.05 * fw);
        Self {
            eyes: vec![eyes],
            mouth: vec![mouth],
            ears,
            top_of_head: vec![top_of_head],
        }
    }

    pub fn get(&self, region: Region) -> &[Area] {
        match region {
            Region::Eyes => &self.eyes,
            Region::Mouth => &self.mouth,
            Region::Ears => &self.ears,
            Region::TopOfHead => &self.top_of_head,
        }
    }
}
