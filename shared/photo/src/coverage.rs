//! What covers the face: hair over the brows, eyes or ears, and anything on
//! the head that is neither hair nor skin (a hat, a band, an ornament). Read
//! from the hair model's mask at points the face mesh names, so each
//! measure is a share of a named part of the face, and the same on a
//! mirrored photo (both sides are measured and the worse one is kept).

use serde::Serialize;

use crate::landmarks::{Eye, Mesh, idx};
use crate::measure::along;
use crate::raster::{Frame, Pyramid, delta_e, lab};
use crate::segment::{HairMask, PersonMask};

/// The body of each brow, between its upper and lower outline (mesh
/// points, image-left brow then image-right brow).
const BROW_UPPER: [[usize; 5]; 2] = [[70, 63, 105, 66, 107], [300, 293, 334, 296, 336]];
const BROW_LOWER: [[usize; 5]; 2] = [[46, 53, 52, 65, 55], [276, 283, 282, 295, 285]];

/// Hair covering parts of the face, as the mean hair probability (0–1)
/// over each part; the worse side of each pair.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Coverage {
    /// Over the body of the brows.
    pub brows: f32,
    /// Over the eye openings (lid outline and iris).
    pub eyes: f32,
    /// Where the ears are: a band just outside the cheek outline from the
    /// eye line to the base of the nose.
    pub ears: f32,
    /// Share of the head above the forehead (inside the person's outline)
    /// that is neither hair nor skin: a hat, a scarf, a band, an ornament.
    pub crown_foreign: f32,
    /// How many points of the crown were inside the person's outline: under
    /// a handful the crown is not in the photo and cannot be judged.
    pub crown_points: usize,
}

fn mean(v: impl Iterator<Item = f32>) -> f32 {
    let (s, n) = v.fold((0.0, 0), |(s, n), x| (s + x, n + 1));
    if n == 0 { f32::NAN } else { s / n as f32 }
}

fn lerp(a: [f32; 2], b: [f32; 2], t: f32) -> [f32; 2] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}

/// What the coverage is read from.
pub struct Inputs<'a> {
    pub img: &'a Pyramid<'a>,
    pub hair: &'a HairMask,
    pub person: &'a PersonMask,
    pub mesh: &'a Mesh,
    pub eyes: &'a [Eye; 2],
    /// L*a*b* of the cheeks.
    pub skin: [f32; 3],
    /// Face width, and the unit vector along the eye line (so "up" follows
    /// a tilted head).
    pub fw: f32,
    pub right: [f32; 2],
}

/// Measure what the hair and headwear cover.
pub fn measure(i: &Inputs) -> Coverage {
    let Inputs {
        img,
        hair,
        person,
        mesh,
        eyes,
        skin,
        fw,
        right,
    } = *i;
    let at = |p: [f32; 2]| hair.at(p[0], p[1]);
    let brows = (0..2)
        .map(|s| {
            mean(
                BROW_UPPER[s]
                    .iter()
                    .zip(&BROW_LOWER[s])
                    .flat_map(|(&u, &l)| {
                        let (u, l) = (mesh.xy(u), mesh.xy(l));
                        [0.25, 0.5, 0.75].map(|t| at(lerp(u, l, t)))
                    }),
            )
        })
        .fold(0.0, f32::max);
    let eyes_cov = eyes
        .iter()
        .map(|e| mean(e.contour[..16].iter().chain(&e.iris[..1]).map(|&p| at(p))))
        .fold(0.0, f32::max);
    let go = |p: [f32; 2], kx: f32, ky: f32| along(p, right, fw, kx, ky);
    // The ear's front edge meets the cheek outline (mesh 234 / 454, at the
    // tragus); the ear reaches about 0.1 face widths out from there.
    let ears = [(idx::CHEEK_LEFT, -1.0f32), (idx::CHEEK_RIGHT, 1.0)]
        .into_iter()
        .map(|(k, out)| {
            let c = mesh.xy(k);
            mean((0..4).flat_map(|i| {
                (0..5).map(move |j| {
                    let kx = out * (0.02 + 0.03 * i as f32);
                    let ky = -0.05 + 0.06 * j as f32;
                    at(go(c, kx, ky))
                })
            }))
        })
        .fold(0.0, f32::max);
    // The crown: from just above the hairline (mesh 10 is the top of the
    // forehead) up to the top of the person's outline, the middle 70% of
    // the face's width.
    let top = mesh.xy(idx::FOREHEAD);
    let (mut foreign, mut points) = (0usize, 0usize);
    for i in 0..7 {
        for j in 0..12 {
            let p = go(top, -0.35 + 0.7 * i as f32 / 6.0, -0.08 - 0.06 * j as f32);
            if person.at(p[0], p[1]) < 0.5 {
                continue;
            }
            points += 1;
            let px = img.sample(
                &Frame::axis(p[0] - 0.5, p[1] - 0.5, 1.0),
                1,
                1,
                [f32::NAN; 3],
            )[0];
            let is_skin = delta_e(lab(px), skin) < SKIN_DELTA_E;
            if at(p) < 0.5 && !is_skin {
                foreign += 1;
            }
        }
    }
    Coverage {
        brows,
        eyes: eyes_cov,
        ears,
        crown_foreign: if points == 0 {
            f32::NAN
        } else {
            foreign as f32 / points as f32
        },
        crown_points: points,
    }
}

/// A bald or shaved crown is the forehead's skin under a different light:
/// ΔE 25 takes in the shading of a curved scalp, not a cloth.
const SKIN_DELTA_E: f32 = 25.0;
