//! Step 5: where the head is in the photo (face inside it, top of the hair,
//! shoulders cut by an edge) and where it goes in the 480×640 frame.

use domain::ReasonCode as R;

use crate::checks::{failed, passed};
use crate::landmarks::{Mesh, idx};
use crate::place::{self, Head, Placement};
use crate::report::{Check, Status};
use crate::segment::PersonMask;

pub struct Inputs<'a> {
    pub mask: &'a PersonMask,
    pub mesh: &'a Mesh,
    /// Width and height of the working copy the mesh and mask are in.
    pub photo: [u32; 2],
    /// Upload pixels per working-copy pixel.
    pub k_work: f32,
}

/// A face narrower than the standard's 180 px that spans at least this
/// share of the photo's shorter side was photographed from close enough
/// (a head-and-shoulders framing puts it at a quarter to a half): the photo
/// lacks pixels (`low_resolution`: a compressed copy, a small crop). A
/// smaller share is a student too far away (`face_too_small`).
const CLOSE_ENOUGH: f32 = 0.2;

pub struct Framed {
    pub checks: Vec<Check>,
    /// Scale is output pixels per working-copy pixel.
    pub placement: Option<Placement>,
}

pub fn frame(i: &Inputs) -> Framed {
    let mesh = i.mesh;
    let fw = mesh.face_width();
    let [w, h] = i.photo.map(|v| v as f32);
    let mut checks = vec![cut_off_check(mesh, fw, w, h)];
    let top = crown(i.mask, mesh, fw, w);
    let hair_top = match top {
        Crown::Inside(y) => y,
        Crown::Touching { depth } => {
            let mut c = passed(
                "hair_top_in_photo",
                R::FaceCutOff,
                Some(depth / fw),
                Some(MAX_CUT),
                "face widths above the edge",
            );
            if depth / fw > FLAG_CUT {
                c.status = Status::Review;
                c.note = Some(
                    "the hair touches the photo's top edge: the top of the hair is estimated, and \
                     its outline there is flat"
                        .into(),
                );
            }
            checks.push(c);
            -depth
        }
        Crown::Cut { depth } => {
            checks.push(failed(
                "hair_top_in_photo",
                R::FaceCutOff,
                Some(depth / fw),
                Some(MAX_CUT),
                "face widths above the edge",
                "the top of the head is cut by the photo's top edge",
            ));
            return Framed {
                checks,
                placement: None,
            };
        }
    };
    let (eye_y, centre_x) = (mesh.eye_line(), mesh.centre_x());
    let k = i.k_work;
    // In upload pixels, so the upscaling limit is honest.
    let head = Head {
        hair_top: hair_top * k,
        eye_line: eye_y * k,
        face_width: fw * k,
        centre_x: centre_x * k,
        photo_width: w * k,
        photo_height: h * k,
        person_at_sides: person_at_sides(i.mask, eye_y, w, h),
    };
    let placement = match place::solve(&head) {
        Ok(p) => {
            let mut c = passed(
                "placement",
                R::FaceCutOff,
                Some(p.face_width_px),
                None,
                "px face width",
            );
            if !p.binding.is_empty() {
                c.note = Some(format!(
                    "within {} px of, or past, a limit: {}",
                    place::MARGIN,
                    p.binding.join(", ")
                ));
            }
            // A side edge of the photo inside the frame cuts the shoulders
            // with a straight vertical line: the reviewer decides whether
            // a student would accept it.
            if p.binding
                .iter()
                .any(|b| *b == "left_edge" || *b == "right_edge")
            {
                c.status = Status::Review;
            }
            checks.push(c);
            if p.extended_px > 0.0 {
                let mut c = passed(
                    "clothing_extended",
                    R::FaceCutOff,
                    Some(p.extended_px),
                    Some(place::BOTTOM_SLACK),
                    "px",
                );
                c.status = Status::Review;
                c.note = Some(
                    "the photo ends above the frame's bottom: the clothes were continued down"
                        .into(),
                );
                checks.push(c);
            }
            Some(Placement {
                scale: p.scale * k,
                ..p
            })
        }
        Err(code) => {
            let share = head.face_width / head.photo_width.min(head.photo_height);
            let code = if code == R::FaceTooSmall && share >= CLOSE_ENOUGH {
                R::LowResolution
            } else {
                code
            };
            let note = match (code, place::obstacle(&head)) {
                (R::FaceCutOff, place::Obstacle::Bottom) => {
                    "the photo ends too close below the chin: retake it with the shoulders and some chest in the picture"
                }
                (R::FaceCutOff, place::Obstacle::Head) => {
                    "no framing keeps the hair top and the eye line inside the standard's ranges: hold the camera level with the eyes, a little further away"
                }
                (R::LowResolution, _) => {
                    "the face is under 180 px wide in this photo: send the camera's original, not a compressed or cropped copy"
                }
                _ => "the face is under 180 px wide in this photo: come closer to the camera",
            };
            checks.push(failed(
                "placement",
                code,
                Some(head.face_width),
                Some(place::FACE_WIDTH.0 / place::MAX_UPSCALE),
                "px face width in the photo",
                note,
            ));
            None
        }
    };
    Framed { checks, placement }
}

/// The face itself must be inside the photo: a cheek or the chin beyond an
/// edge cannot be framed (the mesh extrapolates past the edge, so points
/// outside the photo mean the face is cut).
fn cut_off_check(mesh: &Mesh, fw: f32, w: f32, h: f32) -> Check {
    let b = mesh.bounds();
    // How far the face outline reaches past the photo, in face widths.
    let beyond = [-b[0], -b[1], b[2] - w, b[3] - h]
        .into_iter()
        .fold(0.0f32, f32::max)
        / fw;
    // 3% of a face width is the mesh's own jitter at the outline.
    let mut c = passed(
        "face_inside_photo",
        R::FaceCutOff,
        Some(beyond),
        Some(0.03),
        "face widths past the edge",
    );
    if beyond > 0.03 {
        c.status = Status::Fail;
        c.note = Some("part of the face is outside the photo".into());
    }
    c
}

/// Where the top of the head is.
#[derive(Debug, PartialEq)]
enum Crown {
    /// The hair's top row, inside the photo.
    Inside(f32),
    /// The hair reaches the top edge; the crown is this far above it.
    Touching { depth: f32 },
    /// The top edge cuts through the head.
    Cut { depth: f32 },
}

/// A top edge cutting off up to 3% of a face width (about 4 mm) of the
/// hair's top leaves the head whole: the skull lies under a centimetre or
/// more of hair. Over 1% (one or two output pixels of flattened outline)
/// the reviewer is told.
const MAX_CUT: f32 = 0.03;
const FLAG_CUT: f32 = 0.01;

/// The top of the hair from the person mask. Scanning down from well above
/// the forehead over the middle half of the face, the second-highest column
/// is the top (one stray strand does not set it). Where the head reaches
/// the photo's top edge, how much of it lies beyond follows from the chord
/// the edge cuts: a round crown of radius R cut at depth d leaves a chord
/// c = 2√(2Rd − d²), so d ≈ c² / 8R.
fn crown(mask: &PersonMask, mesh: &Mesh, fw: f32, photo_w: f32) -> Crown {
    let forehead = mesh.xy(idx::FOREHEAD);
    let centre = mesh.centre_x();
    let columns = 9;
    let step = (fw / 200.0).max(0.5);
    let mut tops: Vec<f32> = (0..columns)
        .map(|k| {
            let x = centre + fw * (k as f32 / (columns - 1) as f32 - 0.5) * 0.5;
            let mut y = (forehead[1] - 1.5 * fw).max(0.0);
            while y < forehead[1] {
                if mask.at(x, y) > 0.5 {
                    return y;
                }
                y += step;
            }
            forehead[1]
        })
        .collect();
    tops.sort_by(f32::total_cmp);
    let top = tops[1];
    if top > 1.0 {
        return Crown::Inside(top);
    }
    // The chord along the top row, and the crown's radius from the head's
    // width at the forehead.
    let extent = |y: f32, reach: f32| {
        let xs = (0..=200).map(|k| centre + reach * (k as f32 / 100.0 - 1.0));
        let inside: Vec<f32> = xs
            .filter(|&x| x >= 0.0 && x < photo_w && mask.at(x, y) > 0.5)
            .collect();
        match (inside.first(), inside.last()) {
            (Some(a), Some(b)) => b - a,
            _ => 0.0,
        }
    };
    let chord = extent(0.5, fw);
    let radius = (extent(forehead[1], fw * 1.2) / 2.0).clamp(0.45 * fw, 0.8 * fw);
    let depth = chord * chord / (8.0 * radius);
    if depth <= MAX_CUT * fw {
        Crown::Touching { depth }
    } else {
        Crown::Cut { depth }
    }
}

/// Whether the person reaches the photo's left and right edges anywhere
/// from the eye line down: a shoulder (or an arm) cut by the edge.
fn person_at_sides(mask: &PersonMask, eye_y: f32, w: f32, h: f32) -> [bool; 2] {
    let rows = 40;
    [1.0, w - 1.0].map(|x| {
        (0..rows).any(|k| {
            let y = eye_y + (h - 1.0 - eye_y) * k as f32 / (rows - 1) as f32;
            mask.at(x, y) > 0.5
        })
    })
}
