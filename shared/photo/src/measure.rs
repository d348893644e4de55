//! Step 3: measurements of the face and the photo, in physical units (angles
//! in degrees, ratios of face dimensions, CIE L*a*b* colour), that the
//! checks compare with the standard's limits.

use image::RgbImage;
use serde::Serialize;

use crate::landmarks::{Eye, Mesh, idx};
use crate::raster::{Frame, Pyramid, delta_e, lab, lab_from_linear, linear, luma};
use crate::segment::PersonMask;

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
    /// Share of the area below each ear lobe (where an earring hangs) whose
    /// colour is none of skin, hair or background: the larger side.
    pub earlobe_foreign: f32,
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
fn along(p: [f32; 2], right: [f32; 2], fw: f32, kx: f32, ky: f32) -> [f32; 2] {
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
}

pub fn measure(i: &Inputs) -> Measurements {
    let m = i.mesh;
    let pyr = i.img;
    let img = pyr.base();
    let cl = m.points[idx::CHEEK_LEFT];
    let cr = m.points[idx::CHEEK_RIGHT];
    let fw = dist(m.xy(idx::CHEEK_LEFT), m.xy(idx::CHEEK_RIGHT));
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

    // Face box pixels for clipping and sharpness.
    let b = m.bounds();
    let face_frame = Frame::axis(b[0], b[1], fw / 240.0);
    let (fw_px, fh_px) = (
        240u32,
        (((b[3] - b[1]) / (fw / 240.0)) as u32).clamp(16, 400),
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
    let lobe = |p: [f32; 2], inward: f32| {
        let px: Vec<[f32; 3]> = (0..5)
            .flat_map(|k| {
                let ky = 0.25 + 0.1 * k as f32;
                [-0.04f32, 0.04].map(|kx| along(p, right, fw, inward * (0.11 + kx), ky))
            })
            .flat_map(|c| disc_rgb(img, c, fw * 0.05))
            .collect();
        foreign_share(&px, &materials)
    };
    let earlobe_foreign = lobe(m.xy(idx::CHEEK_LEFT), 1.0).max(lobe(m.xy(idx::CHEEK_RIGHT), -1.0));
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

    Measurements {
        detection_score: f32::NAN,
        presence: m.presence,
        face_width_px: fw,
        roll_deg: roll.to_degrees(),
        yaw_deg: yaw.to_degrees(),
        pitch_deg: pitch.to_degrees(),
        eye_openness: [i.eyes[0].openness, i.eyes[1].openness],
        mouth_opening: mouth,
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
        earlobe_foreign,
        neck_foreign,
        clothing_lab,
    }
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
