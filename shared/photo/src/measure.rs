//! Step 3: measurements of the face and the photo, in physical units (angles
//! in degrees, ratios of face dimensions, CIE L*a*b* colour), that the
//! checks compare with the standard's limits.

use image::RgbImage;
use serde::Serialize;

use crate::coverage::{self, Coverage};
use crate::landmarks::{Eye, Mesh, idx};
use crate::mouth::{self, MouthInside};
use crate::raster::{Frame, Pyramid, delta_e, lab, lab_from_linear, linear, luma};
use crate::segment::{HairMask, PersonMask};

/// Everything measured on the student's face, in report units.
#[derive(Debug, Clone, Serialize)]
pub struct Measurements {
    /// Detector confidence (0–1) and face-mesh presence (0–1) of the face.
    pub detection_score: f32,
    pub presence: f32,
    /// Face width, cheek to cheek (mesh 234–454), in source pixels.
    pub face_width_px: f32,
    pub roll_deg: f32,
    pub yaw_deg: f32,
    pub pitch_deg: f32,
    /// Lid opening over lid width, per eye (image-left, image-right).
    pub eye_openness: [f32; 2],
    /// Inner-lip gap over mouth width.
    pub mouth_opening: f32,
    /// Teeth and dark cavity seen between the lips, in mouth widths squared.
    pub mouth_inside: MouthInside,
    /// Hair over the brows, eyes and ears, and what is on the head.
    pub coverage: Coverage,
    /// Iris centre offset from the eye centre, over the eye width, in the
    /// eye's own axes: (horizontal, vertical; positive is down), both eyes averaged.
    pub gaze: [f32; 2],
    /// Variance of the Laplacian over luma variance on the face resampled
    /// to 240 px wide, as it will be in the output: blur from enlarging a small
    /// face counts, as the student will see it.
    pub sharpness: f32,
    /// Median L* of the cheek and forehead skin.
    pub skin_lightness: f32,
    /// Share of face pixels with a clipped channel (≥ 250).
    pub face_clipped: f32,
    /// L* of the image-left cheek minus the image-right cheek.
    pub cheek_lightness_diff: f32,
    /// Median chroma C*ab of the skin, and of the whole photo.
    pub skin_chroma: f32,
    pub photo_chroma: f32,
    /// Brightest (90th percentile) L* inside the lids minus skin L*: the
    /// whites of the eyes are near skin lightness or above, dark lenses hide them.
    pub eye_lightness_vs_skin: f32,
    /// Share of the lens area (around each eye) brighter than L* 92 with
    /// little chroma: reflections on glasses. The larger eye.
    pub lens_glare: f32,
    /// Colour difference between the skin and the band just above the brows.
    pub brow_band_delta_e: f32,
    /// Colour difference between the forehead and the cheeks.
    pub forehead_delta_e: f32,
    /// Colour difference between the cheeks and the ear areas, per side.
    pub ear_delta_e: [f32; 2],
    /// Person-mask probability at the ear areas.
    pub ear_mask: [f32; 2],
    /// Longest object hanging plumb below an ear lobe, outside the person
    /// mask and unlike the one surface either side of it, in face widths
    /// (the larger side; 0.01 ≈ 1.5 mm): a dangling earring.
    pub earring_drop: f32,
    /// Lightness spread (L*, 10th to 90th percentile) of the background
    /// beside and below that lobe: over 20 it is a texture, where chance
    /// alignments look like short pendants.
    pub earring_surround_spread: f32,
    /// The same on the neck between chin and collar.
    pub neck_foreign: f32,
    /// Mean L*a*b* of the clothing (below the chin, inside the person mask).
    pub clothing_lab: Option<[f32; 3]>,
}

/// Pixels of a disc, as L*a*b*.
fn disc(img: &RgbImage, c: [f32; 2], r: f32) -> Vec<[f32; 3]> {
    disc_rgb(img, c, r).into_iter().map(lab).collect()
}

/// Pixels of a disc, as sRGB.
fn disc_rgb(img: &RgbImage, c: [f32; 2], r: f32) -> Vec<[f32; 3]> {
    let mut out = Vec::new();
    let (w, h) = (img.width() as i32, img.height() as i32);
    let r2 = r * r;
    let step = ((r / 6.0).floor() as i32).max(1);
    let mut y = (c[1] - r) as i32;
    while y <= (c[1] + r) as i32 {
        let mut x = (c[0] - r) as i32;
        while x <= (c[0] + r) as i32 {
            let (dx, dy) = (x as f32 - c[0], y as f32 - c[1]);
            if x >= 0 && y >= 0 && x < w && y < h && dx * dx + dy * dy <= r2 {
                let p = img.get_pixel(x as u32, y as u32).0;
                out.push([p[0] as f32, p[1] as f32, p[2] as f32]);
            }
            x += step;
        }
        y += step;
    }
    out
}

fn median(mut v: Vec<f32>) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f32>, q: f32) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    v.sort_by(f32::total_cmp);
    v[((v.len() - 1) as f32 * q) as usize]
}

/// Channel-wise median of a set of colours.
fn median_lab(v: &[[f32; 3]]) -> [f32; 3] {
    [0, 1, 2].map(|c| median(v.iter().map(|p| p[c]).collect()))
}

fn chroma(p: [f32; 3]) -> f32 {
    (p[1] * p[1] + p[2] * p[2]).sqrt()
}

fn mid(a: [f32; 2], b: [f32; 2]) -> [f32; 2] {
    [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Move `p` by `k` face widths along the face's own axes (x right, y down).
pub(crate) fn along(p: [f32; 2], right: [f32; 2], fw: f32, kx: f32, ky: f32) -> [f32; 2] {
    let down = [-right[1], right[0]];
    [
        p[0] + fw * (kx * right[0] + ky * down[0]),
        p[1] + fw * (kx * right[1] + ky * down[1]),
    ]
}

pub struct Inputs<'a> {
    pub img: &'a Pyramid<'a>,
    pub mesh: &'a Mesh,
    pub eyes: &'a [Eye; 2],
    pub mask: &'a PersonMask,
    pub hair: &'a HairMask,
}

pub fn measure(i: &Inputs) -> Measurements {
    let m = i.mesh;
    let pyr = i.img;
    let img = pyr.base();
    let cl = m.points[idx::CHEEK_LEFT];
    let cr = m.points[idx::CHEEK_RIGHT];
    let fw = m.face_width();
    let roll = m.roll();
    let right = [roll.cos(), roll.sin()];

    // Pose from the mesh's depth: the cheek line turns in depth with yaw,
    // the forehead–chin line with pitch.
    let yaw = (cr[2] - cl[2]).atan2(((cr[0] - cl[0]).powi(2) + (cr[1] - cl[1]).powi(2)).sqrt());
    let (f, c) = (m.points[idx::FOREHEAD], m.points[idx::CHIN]);
    let pitch = (c[2] - f[2]).atan2(((c[0] - f[0]).powi(2) + (c[1] - f[1]).powi(2)).sqrt());

    let mouth = dist(m.xy(idx::LIP_INNER_UPPER), m.xy(idx::LIP_INNER_LOWER))
        / dist(m.xy(idx::MOUTH_LEFT), m.xy(idx::MOUTH_RIGHT)).max(1e-3);

    // Gaze in each eye's crop frame (level with the eye line).
    let mut gaze = [0.0f32; 2];
    for e in i.eyes.iter() {
        let lids = &e.contour[..16];
        let inv = |p: [f32; 2]| {
            // Source to crop coordinates for an orthogonal frame.
            let d = [p[0] - e.frame.origin[0], p[1] - e.frame.origin[1]];
            let s2 = e.frame.step().powi(2);
            [
                (d[0] * e.frame.ux[0] + d[1] * e.frame.ux[1]) / s2,
                (d[0] * e.frame.vy[0] + d[1] * e.frame.vy[1]) / s2,
            ]
        };
        let crop: Vec<[f32; 2]> = lids.iter().map(|p| inv(*p)).collect();
        let (x0, x1) = crop
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
        let (y0, y1) = crop
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[1]), b.max(p[1])));
        let iris = inv(e.iris[0]);
        let width = (x1 - x0).max(1e-3);
        // Horizontal offset changes sign with the mirrored eye; the mean of
        // absolute values is what matters for "looking at the camera".
        gaze[0] += ((iris[0] - (x0 + x1) / 2.0) / width).abs() / 2.0;
        gaze[1] += ((iris[1] - (y0 + y1) / 2.0) / width) / 2.0;
    }

    // Skin: cheeks below the eyes and the forehead centre.
    let r = fw * 0.06;
    let left_cheek = disc(img, m.xy(205), r);
    let right_cheek = disc(img, m.xy(425), r);
    let forehead = disc(img, m.xy(151), r);
    let cheeks: Vec<[f32; 3]> = left_cheek.iter().chain(&right_cheek).copied().collect();
    let skin_all: Vec<[f32; 3]> = cheeks.iter().chain(&forehead).copied().collect();
    let skin = median_lab(&cheeks);
    let skin_l = median(skin_all.iter().map(|p| p[0]).collect());

    // Face box pixels for clipping and sharpness, at the size the output
    // shows the face: 240 px across, or fewer where the photo has fewer (it
    // is never enlarged, and upsampling would blur a sharp small face).
    let b = m.bounds();
    let across = fw.clamp(16.0, SHARPNESS_FACE_PX);
    let face_frame = Frame::axis(b[0], b[1], fw / across);
    let (fw_px, fh_px) = (
        across as u32,
        (((b[3] - b[1]) / (fw / across)) as u32).clamp(16, 400),
    );
    let face_px = pyr.sample(&face_frame, fw_px, fh_px, [0.0; 3]);
    let clipped = face_px
        .iter()
        .filter(|p| p.iter().any(|&c| c >= 250.0))
        .count() as f32
        / face_px.len() as f32;
    let sharpness = laplacian_ratio(&face_px, fw_px as usize, fh_px as usize);

    // Eyes: brightest part inside the lid outline vs skin.
    let mut eye_l = Vec::new();
    let mut glare: f32 = 0.0;
    for e in i.eyes.iter() {
        let c = e.iris[0];
        let ew = dist(e.contour[0], e.contour[8]).max(1.0);
        eye_l.extend(disc(img, c, ew * 0.35).into_iter().map(|p| p[0]));
        let lens = disc(img, c, ew * 0.9);
        let bright = lens
            .iter()
            .filter(|p| p[0] >= 92.0 && chroma(**p) < 12.0)
            .count();
        glare = glare.max(bright as f32 / lens.len().max(1) as f32);
    }
    let eye_lightness_vs_skin = percentile(eye_l, 0.9) - skin_l;

    // Band just above the brows, and the forehead, against the cheeks.
    let brow_c = mid(
        mid(m.xy(idx::LEFT_BROW[2]), m.xy(idx::LEFT_BROW[3])),
        mid(m.xy(idx::RIGHT_BROW[2]), m.xy(idx::RIGHT_BROW[3])),
    );
    let band: Vec<[f32; 3]> = [-0.22, 0.22]
        .iter()
        .flat_map(|&kx| disc(img, along(brow_c, right, fw, kx, -0.07), fw * 0.04))
        .collect();
    let brow_band_delta_e = delta_e(median_lab(&band), skin);
    let forehead_delta_e = delta_e(median_lab(&forehead), skin);

    // Ears: just outside the cheek outline at eye-to-nose height.
    let mut ear_delta_e = [0.0; 2];
    let mut ear_mask = [0.0; 2];
    for (k, (p, kx)) in [
        (m.xy(idx::CHEEK_LEFT), -0.07f32),
        (m.xy(idx::CHEEK_RIGHT), 0.07),
    ]
    .into_iter()
    .enumerate()
    {
        let c = along(p, right, fw, kx, 0.05);
        ear_delta_e[k] = delta_e(median_lab(&disc(img, c, fw * 0.04)), skin);
        ear_mask[k] = i.mask.at(c[0], c[1]);
    }

    // Jewellery: colours that are no known material of the photo (skin,
    // hair, clothes, background, each under any shading), below the ear
    // lobes and on the neck.
    let centre = mid(m.xy(idx::CHEEK_LEFT), m.xy(idx::CHEEK_RIGHT));
    let chin = m.xy(idx::CHIN);
    let median_rgb = |v: &[[f32; 3]]| [0, 1, 2].map(|c| median(v.iter().map(|p| p[c]).collect()));
    let mut materials = Vec::new();
    let mut sample_at = |p: [f32; 2], r: f32, keep: bool| {
        let d = disc_rgb(img, p, r);
        if keep && !d.is_empty() {
            materials.push(linear(median_rgb(&d)));
        }
    };
    for p in [m.xy(205), m.xy(425), m.xy(151)] {
        sample_at(p, fw * 0.06, true);
    }
    for kx in [-0.15f32, 0.0, 0.15] {
        let p = along(m.xy(idx::FOREHEAD), right, fw, kx, -0.2);
        sample_at(p, fw * 0.05, i.mask.at(p[0], p[1]) > 0.8);
    }
    for kx in [-0.9f32, 0.9] {
        for ky in [-0.5f32, 0.0, 0.4] {
            let p = along(centre, right, fw, kx, ky);
            sample_at(p, fw * 0.08, i.mask.at(p[0], p[1]) < 0.2);
        }
    }
    let mut clothes = Vec::new();
    for kx in [-0.6f32, -0.4, 0.4, 0.6] {
        let c = along(chin, right, fw, kx, 0.8);
        if i.mask.at(c[0], c[1]) > 0.8 {
            let d = disc_rgb(img, c, fw * 0.08);
            if !d.is_empty() {
                materials.push(linear(median_rgb(&d)));
            }
            clothes.extend(d);
        }
    }
    // The side with the longer drop, and the surface it was read against.
    let (earring_drop, earring_surround_spread) =
        [(idx::LOBE_LEFT, -1.0f32), (idx::LOBE_RIGHT, 1.0)]
            .into_iter()
            .map(|(k, outward)| earring_drop(pyr, i.mask, i.hair, m.xy(k), outward, fw))
            .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
    let neck: Vec<[f32; 3]> = [-0.15f32, 0.0, 0.15]
        .iter()
        .flat_map(|&kx| disc_rgb(img, along(chin, right, fw, kx, 0.3), fw * 0.08))
        .collect();
    let neck_foreign = foreign_share(&neck, &materials);
    let clothing_lab = (clothes.len() > 10).then(|| lab(median_rgb(&clothes)));

    let photo_chroma = {
        let small = pyr.sample(
            &Frame::axis(
                0.0,
                0.0,
                (img.width().max(img.height()) as f32 / 128.0).max(1.0),
            ),
            128,
            128,
            [128.0; 3],
        );
        median(small.iter().map(|p| chroma(lab(*p))).collect())
    };

    let coverage = coverage::measure(&coverage::Inputs {
        img: pyr,
        hair: i.hair,
        person: i.mask,
        mesh: m,
        eyes: i.eyes,
        skin,
        fw,
        right,
    });
    let mouth_inside = mouth::inside_of_mouth(pyr, m, skin);

    Measurements {
        detection_score: f32::NAN,
        presence: m.presence,
        face_width_px: fw,
        roll_deg: roll.to_degrees(),
        yaw_deg: yaw.to_degrees(),
        pitch_deg: pitch.to_degrees(),
        eye_openness: [i.eyes[0].openness, i.eyes[1].openness],
        mouth_opening: mouth,
        mouth_inside,
        coverage,
        gaze,
        sharpness,
        skin_lightness: skin_l,
        face_clipped: clipped,
        cheek_lightness_diff: median(left_cheek.iter().map(|p| p[0]).collect())
            - median(right_cheek.iter().map(|p| p[0]).collect()),
        skin_chroma: chroma(skin),
        photo_chroma,
        eye_lightness_vs_skin,
        lens_glare: glare,
        brow_band_delta_e,
        forehead_delta_e,
        ear_delta_e,
        ear_mask,
        earring_drop,
        earring_surround_spread,
        neck_foreign,
        clothing_lab,
    }
}

/// The face width sharpness is judged at: the middle of the standard's
/// 180–300 px, where the framing aims.
const SHARPNESS_FACE_PX: f32 = 240.0;

/// Strip below an ear lobe, in cells of 0.01 face width (≈ 1.5 mm): columns
/// from 0.10 fw inside the lobe point to 0.20 fw outside it, rows from just
/// above it to 0.5 fw below (a long pendant reaches the chin's height).
const STRIP_W: usize = 30;
const STRIP_H: usize = 52;
const STRIP_IN: f32 = 0.10;
const STRIP_UP: f32 = 0.02;
/// The object window is 7 cells (≈ 1 cm, a pendant's width); the surface
/// either side is read 6–9 cells from its centre.
const OBJ_HALF: usize = 3;
const SIDE_NEAR: usize = 6;
const SIDE_FAR: usize = 9;
/// ΔE between the two sides under which they are one surface (background,
/// hair or skin under the same light), and ΔE from both above which a
/// pixel is another material.
const SAME_SURFACE: f32 = 15.0;
/// ΔE from its side's mean within which every cell of a side lies on an
/// even surface (a backdrop, skin, a plain wall under one light).
const EVEN_SURFACE: f32 = 8.0;
const OTHER_MATERIAL: f32 = 20.0;

/// How far an earring hangs below the lobe at `lobe`, in face widths, and
/// the lightness spread of the background there. The
/// strip is sampled along the image axes, not the face's: a pendant hangs
/// plumb. `outward` is −1 on the image-left side.
fn earring_drop(
    pyr: &Pyramid,
    mask: &PersonMask,
    hair: &HairMask,
    lobe: [f32; 2],
    outward: f32,
    fw: f32,
) -> (f32, f32) {
    let step = fw * 0.01;
    let frame = Frame {
        origin: [lobe[0] - outward * STRIP_IN * fw, lobe[1] - STRIP_UP * fw],
        ux: [outward * step, 0.0],
        vy: [0.0, step],
    };
    let lab_px: Vec<[f32; 3]> = pyr
        .sample(&frame, STRIP_W as u32, STRIP_H as u32, [f32::NAN; 3])
        .into_iter()
        .map(lab)
        .collect();
    let outside: Vec<bool> = (0..STRIP_W * STRIP_H)
        .map(|k| {
            let p = frame.to_source((k % STRIP_W) as f32 + 0.5, (k / STRIP_W) as f32 + 0.5);
            mask.at(p[0], p[1]) < 0.5 && hair.at(p[0], p[1]) < 0.5
        })
        .collect();
    let cells = hanging_object_cells(&lab_px, &outside, STRIP_W, STRIP_H);
    (
        plumb_run(&cells, STRIP_W, STRIP_H) as f32 * 0.01,
        lightness_spread(&lab_px, &outside),
    )
}

/// Lightness spread of the cells outside the person.
fn lightness_spread(lab_px: &[[f32; 3]], outside: &[bool]) -> f32 {
    let mut l: Vec<f32> = lab_px
        .iter()
        .zip(outside)
        .filter(|(p, o)| **o && p[0].is_finite())
        .map(|(p, _)| p[0])
        .collect();
    if l.len() < 20 {
        return 0.0;
    }
    l.sort_by(f32::total_cmp);
    l[l.len() * 9 / 10] - l[l.len() / 10]
}

/// Cells (row-major, `w` wide, L*a*b*) where an object stands out from one
/// surface around it: the sides 6–9 cells left and right agree (ΔE ≤ 15),
/// at least half of the 7-cell window differs from both by ΔE > 20, and the
/// cell lies outside the person mask. The mask keeps hair over the ears,
/// collars and the jaw's edge (all part of the person) out; an earring is
/// too thin for the segmentation and falls outside it.
fn hanging_object_cells(lab_px: &[[f32; 3]], outside: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut out = vec![false; w * h];
    let side_mean = |row: &[[f32; 3]], a: usize, b: usize| {
        let n = (b - a + 1) as f32;
        let s = row[a..=b]
            .iter()
            .fold([0.0f32; 3], |s, p| [s[0] + p[0], s[1] + p[1], s[2] + p[2]]);
        s.map(|v| v / n)
    };
    for y in 0..h {
        let row = &lab_px[y * w..(y + 1) * w];
        for x in SIDE_FAR..w.saturating_sub(SIDE_FAR) {
            if !outside[y * w + x] {
                continue;
            }
            let l = side_mean(row, x - SIDE_FAR, x - SIDE_NEAR);
            let r = side_mean(row, x + SIDE_NEAR, x + SIDE_FAR);
            // NaN (outside the photo) is never one surface: never an object.
            let sides = delta_e(l, r);
            if sides.is_nan() || sides > SAME_SURFACE {
                continue;
            }
            // Each side must be one even surface itself: on gravel, foliage
            // or a patterned wall any bright speck looks like a stud, and an
            // object there cannot be told from the texture.
            let even = |a: usize, b: usize, mean: [f32; 3]| {
                row[a..=b].iter().all(|p| delta_e(*p, mean) <= EVEN_SURFACE)
            };
            if !even(x - SIDE_FAR, x - SIDE_NEAR, l) || !even(x + SIDE_NEAR, x + SIDE_FAR, r) {
                continue;
            }
            let other = row[x - OBJ_HALF..=x + OBJ_HALF]
                .iter()
                .filter(|p| delta_e(**p, l) > OTHER_MATERIAL && delta_e(**p, r) > OTHER_MATERIAL)
                .count();
            out[y * w + x] = 2 * other > 2 * OBJ_HALF + 1;
        }
    }
    out
}

/// Longest vertical extent, in rows, of object cells within a column 3
/// cells wide (a pendant sways by a millimetre, not more), bridging gaps of
/// up to 2 rows (a thin chain link between stones).
fn plumb_run(cells: &[bool], w: usize, h: usize) -> usize {
    let mut best = 0;
    for x in 1..w.saturating_sub(1) {
        let mut top: Option<usize> = None;
        let mut gap = 0;
        for y in 0..h {
            if cells[y * w + x - 1..=y * w + x + 1].iter().any(|&c| c) {
                let t = *top.get_or_insert(y);
                best = best.max(y - t + 1);
                gap = 0;
            } else if top.is_some() {
                gap += 1;
                if gap > 2 {
                    top = None;
                    gap = 0;
                }
            }
        }
    }
    best
}

/// Variance of the 4-neighbour Laplacian over the variance of luma.
fn laplacian_ratio(px: &[[f32; 3]], w: usize, h: usize) -> f32 {
    let l: Vec<f32> = px.iter().map(|p| luma(*p)).collect();
    let mean = l.iter().sum::<f32>() / l.len() as f32;
    let var = l.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / l.len() as f32;
    let mut lap = Vec::with_capacity(w * h);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            lap.push(l[i - 1] + l[i + 1] + l[i - w] + l[i + w] - 4.0 * l[i]);
        }
    }
    let lm = lap.iter().sum::<f32>() / lap.len().max(1) as f32;
    let lv = lap.iter().map(|v| (v - lm).powi(2)).sum::<f32>() / lap.len().max(1) as f32;
    lv / var.max(1.0)
}

/// Beyond this ΔE from every known material, shaded to the pixel's
/// brightness, a pixel is something else: ΔE 20 separates skin from the
/// nearest hair and gold tones.
const FOREIGN: f32 = 20.0;

/// Share of pixels (sRGB) that match none of the materials (linear RGB).
/// Shading scales linear light, so each material is first scaled to the
/// pixel's brightness (within 0.2–1.3×): a shadow on the neck stays skin.
fn foreign_share(px: &[[f32; 3]], classes: &[[f32; 3]]) -> f32 {
    if px.is_empty() {
        return 0.0;
    }
    let n = px
        .iter()
        .filter(|p| {
            let pl = linear(**p);
            let lp = lab_from_linear(pl);
            classes.iter().all(|c| {
                let dot = |a: [f32; 3], b: [f32; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
                let k = (dot(pl, *c) / dot(*c, *c).max(1e-6)).clamp(0.2, 1.3);
                delta_e(lp, lab_from_linear(c.map(|v| v * k))) > FOREIGN
            })
        })
        .count();
    n as f32 / px.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = STRIP_W;
    const H: usize = STRIP_H;
    const BLUE: [f32; 3] = [25.0, 10.0, -40.0];
    const GOLD: [f32; 3] = [60.0, 5.0, 45.0];

    /// A strip of one surface with a block of `paint` over columns `x0..x1`,
    /// rows `y0..y1`.
    fn strip(paint: [f32; 3], x0: usize, x1: usize, y0: usize, y1: usize) -> Vec<[f32; 3]> {
        (0..W * H)
            .map(|k| {
                let (x, y) = (k % W, k / W);
                if (x0..x1).contains(&x) && (y0..y1).contains(&y) {
                    paint
                } else {
                    BLUE
                }
            })
            .collect()
    }

    fn drop_rows(px: &[[f32; 3]], outside: bool) -> usize {
        let cells = hanging_object_cells(px, &vec![outside; W * H], W, H);
        plumb_run(&cells, W, H)
    }

    #[test]
    fn a_pendant_on_the_background_counts_its_length() {
        // 6 cells wide (≈ 9 mm), 15 rows long.
        assert_eq!(drop_rows(&strip(GOLD, 12, 18, 5, 20), true), 15);
    }

    #[test]
    fn nothing_hangs_on_a_plain_surface_or_inside_the_person() {
        assert_eq!(drop_rows(&strip(BLUE, 0, 0, 0, 0), true), 0);
        // The same pendant over pixels the person mask claims (hair, collar).
        assert_eq!(drop_rows(&strip(GOLD, 12, 18, 5, 20), false), 0);
    }

    #[test]
    fn an_edge_between_two_surfaces_is_no_object() {
        // Background on one side, a collar on the other: the sides differ.
        assert_eq!(drop_rows(&strip(GOLD, 15, W, 0, H), true), 0);
    }

    /// A texture in L*a*b*: stones of lightness 40 and 80 alternating cell by
    /// cell (the sides of every window average to the same 60), with a pale
    /// stone 7 cells wide and 15 rows long where a pendant would hang.
    fn gravel_with_a_pale_stone() -> Vec<[f32; 3]> {
        (0..W * H)
            .map(|k| {
                let (x, y) = (k % W, k / W);
                let l = if (12..19).contains(&x) && (5..20).contains(&y) {
                    95.0
                } else if (x + y) % 2 == 0 {
                    40.0
                } else {
                    80.0
                };
                [l, 0.0, 2.0]
            })
            .collect()
    }

    #[test]
    fn a_pendant_needs_an_even_surface_either_side() {
        // The pale stone stands out from the mean of either side as a
        // pendant would, but neither side is one even surface: no object.
        let g = gravel_with_a_pale_stone();
        let outside = vec![true; W * H];
        assert_eq!(
            plumb_run(&hanging_object_cells(&g, &outside, W, H), W, H),
            0
        );
        // And the surround reads as a texture, for the check to only flag.
        assert!(lightness_spread(&g, &outside) > 20.0);
        assert!(lightness_spread(&strip(GOLD, 12, 18, 5, 20), &outside) < 20.0);
    }

    #[test]
    fn a_slanted_line_is_not_plumb() {
        // A 2-cell line at 45°, as long as a pendant: a jaw shadow, a strand.
        let mut cells = vec![false; W * H];
        for y in 0..15 {
            cells[y * W + 5 + y] = true;
            cells[y * W + 6 + y] = true;
        }
        assert_eq!(plumb_run(&cells, W, H), 4);
    }

    #[test]
    fn short_gaps_are_bridged_long_ones_are_not() {
        let mut cells = vec![false; W * H];
        for y in (0..5).chain(7..12) {
            cells[y * W + 15] = true;
        }
        assert_eq!(plumb_run(&cells, W, H), 12);
        cells[5 * W + 15] = false;
        for y in 5..9 {
            cells[y * W + 15] = false;
        }
        assert_eq!(plumb_run(&cells, W, H), 5);
    }
}
