//! Step 2: find the student's face. The detector works on a copy at most `DETECT_SIDE` pixels
//! long; the mesh, the irises and everything after on a working copy with enough pixels across
//! the face. A photo with no upright human face ends here.

use std::borrow::Cow;

use domain::ReasonCode as R;
use image::RgbImage;

use super::{Engine, Face, MIN_PRESENCE, Run, SECOND_FACE_MIN_RATIO, SIDEWAYS_DEG, Stop};
use crate::checks::{failed, passed};
use crate::detect::{Detection, Detector};
use crate::error::PhotoError;
use crate::landmarks::{self, idx};
use crate::raster::{Pyramid, box_shrink};
use crate::report::{Check, Status};

/// The working copy keeps at least this many pixels across the face, above
/// the 300 px the largest allowed face needs in the output.
const WORK_FACE_PX: f32 = 360.0;

impl Engine {
    /// The faces on the detector's copy, largest first; refused when there is
    /// none upright.
    pub(super) fn detect(&self, det_img: &RgbImage) -> Result<Vec<Detection>, Stop> {
        let faces = Detector::default().detect(
            &self.models.short_range,
            &self.models.full_range,
            det_img,
        )?;
        let Some(primary) = faces.first() else {
            return Err(Stop::Refused(failed(
                "face_found",
                self.no_face_or_rotated(det_img)?,
                Some(0.0),
                Some(1.0),
                "faces",
                "no upright face found",
            )));
        };
        let roll = primary.eye_angle().to_degrees();
        if roll.abs() > SIDEWAYS_DEG {
            return Err(Stop::Refused(failed(
                "upright",
                R::Rotated,
                Some(roll.abs()),
                Some(SIDEWAYS_DEG),
                "deg",
                "the face is sideways or upside down",
            )));
        }
        Ok(faces)
    }

    /// The student's face on the working copy (`to_work` scales the
    /// detector's coordinates to it): the mesh, confirmed to be a human face,
    /// and the eyes; other people are judged on the way (`single_face`).
    pub(super) fn landmarks(
        &self,
        pyr: &Pyramid,
        faces: &[Detection],
        to_work: f32,
        det_img: &RgbImage,
        run: &mut Run,
    ) -> Result<Face, Stop> {
        let scaled = |d: &Detection| {
            let mut d = d.clone();
            d.centre = d.centre.map(|v| v * to_work);
            d.size = d.size.map(|v| v * to_work);
            d.keypoints = d.keypoints.map(|p| p.map(|v| v * to_work));
            d
        };
        let primary = &faces[0];
        let mesh = landmarks::mesh(&self.models.face_mesh, pyr, &scaled(primary))?;
        if mesh.presence < MIN_PRESENCE {
            return Err(Stop::Refused(failed(
                "face_found",
                self.no_face_or_rotated(det_img)?,
                Some(mesh.presence),
                Some(MIN_PRESENCE),
                "presence",
                "the detected shape is not a human face",
            )));
        }
        run.checks.push(passed(
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
                pyr,
                d.centre,
                d.size[0].max(d.size[1]) * 1.5,
                d.eye_angle(),
            )?;
            if m.presence >= MIN_PRESENCE {
                others.push(d.size[0] / fw_work);
            }
        }
        run.checks.push(second_face_check(&others));

        let eyes = [
            landmarks::eye(
                &self.models.iris,
                pyr,
                mesh.xy(idx::LEFT_EYE_OUTER),
                mesh.xy(idx::LEFT_EYE_INNER),
                false,
            )?,
            landmarks::eye(
                &self.models.iris,
                pyr,
                mesh.xy(idx::RIGHT_EYE_OUTER),
                mesh.xy(idx::RIGHT_EYE_INNER),
                true,
            )?,
        ];
        Ok(Face {
            mesh,
            eyes,
            score: primary.score,
        })
    }

    /// `rotated` when a face appears once the photo is turned, else `no_face`.
    fn no_face_or_rotated(&self, det_img: &RgbImage) -> Result<R, PhotoError> {
        Ok(if self.sideways_face(det_img)? {
            R::Rotated
        } else {
            R::NoFace
        })
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

/// How much the upload is shrunk for the working copy: enough pixels across
/// the face (`primary`, found on a copy shrunk by `k_det`), no more.
pub(super) fn work_factor(primary: &Detection, k_det: u32) -> u32 {
    let face_src = primary.size[0] * k_det as f32;
    ((face_src / WORK_FACE_PX).floor() as u32).clamp(1, k_det.max(1) * 4)
}

/// The copy of the upload the engine works on: shrunk by `k_work`, reusing
/// the detector's copy (shrunk by `k_det`) when that is the same size.
pub(super) fn working_copy<'a>(
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
