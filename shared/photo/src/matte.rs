//! Step 4: cut the student out and put them on the profile colour.
//!
//! The segmentation model works at 256², far coarser than hair. Its matte is
//! refined at output resolution with a guided filter (He et al. 2010): the
//! alpha follows the edges of the photo itself, so hair and ears keep their
//! outline without a blocky edge. Where alpha is partial, the old background
//! colour is estimated nearby and replaced, so no old colour stays in the
//! hair and no halo rings the head.

use image::RgbImage;

use crate::raster::{box_mean, luma};

/// Guided-filter window radius at output resolution: about the width of a
/// lock of hair at 480×640.
const RADIUS: usize = 6;
/// Regularisation (in luma², 0..1 scale): edges weaker than this contrast do
/// not pull the matte.
const EPS: f32 = 1e-3;
/// Below this alpha a pixel is background and takes the profile colour
/// exactly (the standard asks for a uniform background).
const CLEAR: f32 = 0.04;
const SOLID: f32 = 0.96;

/// Refine a coarse alpha at the resolution of `rgb` (both `w`×`h`).
pub fn refine(rgb: &[[f32; 3]], coarse: &[f32], w: usize, h: usize) -> Vec<f32> {
    let guide: Vec<f32> = rgb.iter().map(|p| luma(*p) / 255.0).collect();
    let mean_i = box_mean(&guide, w, h, RADIUS);
    let mean_p = box_mean(coarse, w, h, RADIUS);
    let ii: Vec<f32> = guide.iter().map(|v| v * v).collect();
    let ip: Vec<f32> = guide.iter().zip(coarse).map(|(i, p)| i * p).collect();
    let mean_ii = box_mean(&ii, w, h, RADIUS);
    let mean_ip = box_mean(&ip, w, h, RADIUS);
    let mut a = vec![0f32; w * h];
    let mut b = vec![0f32; w * h];
    for k in 0..w * h {
        let var = mean_ii[k] - mean_i[k] * mean_i[k];
        let cov = mean_ip[k] - mean_i[k] * mean_p[k];
        a[k] = cov / (var + EPS);
        b[k] = mean_p[k] - a[k] * mean_i[k];
    }
    let ma = box_mean(&a, w, h, RADIUS);
    let mb = box_mean(&b, w, h, RADIUS);
    (0..w * h)
        .map(|k| {
            let q = ma[k] * guide[k] + mb[k];
            // Snap near-certain values so the background is exactly uniform
            // and the face exactly the photo.
            if q < CLEAR {
                0.0
            } else if q > SOLID {
                1.0
            } else {
                q
            }
        })
        .collect()
}

/// Local mean colour of the pixels selected by `weight` (a normalised box
/// filter 2·4·RADIUS px wide): the old background near an edge, or the
/// person's own colour. Smooth by nature, so computed on 4×4 blocks.
struct LocalColour {
    bw: usize,
    weight: Vec<f32>,
    sums: [Vec<f32>; 3],
}

const BLOCK: usize = 4;

impl LocalColour {
    fn new(rgb: &[[f32; 3]], select: &[f32], w: usize, h: usize) -> Self {
        let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
        let mut weight = vec![0f32; bw * bh];
        let mut sums = [
            vec![0f32; bw * bh],
            vec![0f32; bw * bh],
            vec![0f32; bw * bh],
        ];
        // Row by row, in the same order as pixel index: no division per pixel.
        for (y, (row, sel)) in rgb.chunks_exact(w).zip(select.chunks_exact(w)).enumerate() {
            let base = (y / BLOCK) * bw;
            for (x, (p, &s)) in row.iter().zip(sel).enumerate() {
                if s == 0.0 {
                    // Adds nothing: the selection is 0/1 and colours finite.
                    continue;
                }
                let b = base + x / BLOCK;
                weight[b] += s;
                (0..3).for_each(|c| sums[c][b] += p[c] * s);
            }
        }
        let r = RADIUS;
        Self {
            bw,
            weight: box_mean(&weight, bw, bh, r),
            sums: sums.map(|v| box_mean(&v, bw, bh, r)),
        }
    }

    /// The mean colour around pixel `k` of a `w`-wide image, if any pixel
    /// was selected nearby.
    fn at(&self, k: usize, w: usize) -> Option<[f32; 3]> {
        let b = (k / w / BLOCK) * self.bw + (k % w) / BLOCK;
        (self.weight[b] >= 1e-3).then(|| [0, 1, 2].map(|c| self.sums[c][b] / self.weight[b]))
    }
}

/// Half-width of the edge band, in output pixels: the segmentation model
/// sees the head at about a third of the output resolution, so its outline
/// can be off by a few of its own pixels.
const BAND: usize = 10;

/// Below this RGB distance between the person's and the old background's
/// local colours, colour cannot tell them apart and the filtered alpha stands.
const MIN_CONTRAST: f32 = 40.0;

/// Composite onto `bg`. Where alpha is partial the observed colour is
/// `I = α·F + (1−α)·B_old`. With `F` and `B_old` averaged from nearby sure
/// person and sure background pixels, α is re-read from the colour itself
/// (the projection of `I − B_old` on `F − B_old`), which removes the pale
/// rim a too-wide matte leaves; then replacing `B_old` by `bg` gives
/// `I + (1−α)(bg − B_old)`, so no old background stays in the hair.
pub fn composite(
    rgb: &[[f32; 3]],
    in_photo: &[bool],
    coarse: &[f32],
    alpha: &[f32],
    w: usize,
    h: usize,
    bg: [u8; 3],
) -> RgbImage {
    let bgf = bg.map(|c| c as f32);
    // The edge band: within BAND px of the segmentation's outline, where
    // the model (at a third of this resolution) cannot be trusted.
    let inside: Vec<f32> = coarse
        .iter()
        .map(|&p| if p > 0.5 { 1.0 } else { 0.0 })
        .collect();
    let near = box_mean(&inside, w, h, BAND);
    let band: Vec<bool> = near.iter().map(|&n| n > 0.01 && n < 0.99).collect();
    // Padding outside the photo is already the new colour: it says nothing
    // about the old background.
    let sure = |k: usize, a: f32| in_photo[k] && !band[k] && alpha[k] == a;
    let is_bg: Vec<f32> = (0..w * h)
        .map(|k| if sure(k, 0.0) { 1.0 } else { 0.0 })
        .collect();
    let is_fg: Vec<f32> = (0..w * h)
        .map(|k| if sure(k, 1.0) { 1.0 } else { 0.0 })
        .collect();
    let old_bg = LocalColour::new(rgb, &is_bg, w, h);
    // The photo's overall old background: sure background pixels, or if the
    // band covers them all, any pixel of the photo the matte calls background.
    let mean_of = |sel: &dyn Fn(usize) -> bool| {
        let (mut acc, mut n) = ([0f32; 3], 0f32);
        for k in (0..w * h).filter(|&k| sel(k)) {
            (0..3).for_each(|c| acc[c] += rgb[k][c]);
            n += 1.0;
        }
        (n > 0.0).then(|| acc.map(|v| v / n))
    };
    let global_bg = mean_of(&|k| is_bg[k] > 0.0)
        .or_else(|| mean_of(&|k| in_photo[k] && alpha[k] <= 0.0))
        .unwrap_or(bgf);
    let person = LocalColour::new(rgb, &is_fg, w, h);
    let mut out = RgbImage::new(w as u32, h as u32);
    for (k, px) in out.pixels_mut().enumerate() {
        let a = alpha[k];
        let v = if !band[k] && a <= 0.0 {
            bgf
        } else if !band[k] && a >= 1.0 {
            rgb[k]
        } else {
            // Far from any sure background (a photo edge padded on both
            // sides), the photo's overall old background stands in.
            let b_old = old_bg.at(k, w).unwrap_or(global_bg);
            let mut a = a;
            if let Some(f) = person.at(k, w) {
                let d = [f[0] - b_old[0], f[1] - b_old[1], f[2] - b_old[2]];
                let dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                if dd >= MIN_CONTRAST * MIN_CONTRAST {
                    let i = [0, 1, 2].map(|c| rgb[k][c] - b_old[c]);
                    a = ((i[0] * d[0] + i[1] * d[1] + i[2] * d[2]) / dd).clamp(0.0, 1.0);
                }
            }
            [0, 1, 2].map(|c| rgb[k][c] + (1.0 - a) * (bgf[c] - b_old[c]))
        };
        px.0 = v.map(round_u8);
    }
    out
}

/// `c.round().clamp(0.0, 255.0) as u8` without the libm call `round`
/// becomes on the baseline x86-64 target, for every pixel channel. The
/// fraction `c - trunc(c)` is exact, so halves round up as `round` does.
#[inline(always)]
fn round_u8(c: f32) -> u8 {
    let c = c.clamp(0.0, 255.0);
    let t = c as u8;
    if c - t as f32 >= 0.5 { t + 1 } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_u8_matches_round_then_clamp() {
        for c in [
            f32::NAN,
            -3.0,
            -0.5,
            -0.4,
            0.0,
            0.49999997,
            0.5,
            1.5,
            2.5,
            127.49,
            254.5,
            254.6,
            255.0,
            255.4,
            300.0,
        ] {
            assert_eq!(round_u8(c), c.round().clamp(0.0, 255.0) as u8, "{c}");
        }
        for k in 0..25_600 {
            let c = k as f32 / 100.0;
            assert_eq!(round_u8(c), c.round().clamp(0.0, 255.0) as u8, "{c}");
        }
    }

    #[test]
    fn a_sharp_edge_in_the_photo_sharpens_a_soft_matte() {
        // Dark person on the left half, light background on the right; the
        // coarse matte is a ramp 16 px wide across the edge.
        let (w, h) = (64, 16);
        let rgb: Vec<[f32; 3]> = (0..w * h)
            .map(|k| if k % w < 32 { [40.0; 3] } else { [220.0; 3] })
            .collect();
        let coarse: Vec<f32> = (0..w * h)
            .map(|k| (((40 - (k % w) as i32) as f32) / 16.0).clamp(0.0, 1.0))
            .collect();
        let alpha = refine(&rgb, &coarse, w, h);
        let row = &alpha[8 * w..9 * w];
        // The coarse matte changes by 1/16 per pixel; the refined one jumps
        // where the photo does, and stays ordered on either side.
        let jump = row[31] - row[32];
        assert!(jump > 0.3, "{:?}", &row[24..40]);
        assert!(row[..32].iter().all(|&a| a >= row[31]) && row[32..].iter().all(|&a| a <= row[32]));
    }

    #[test]
    fn background_becomes_exactly_the_profile_colour() {
        // A green wall with a small dark "person" in one corner.
        let (w, h) = (64, 64);
        let person = |k: usize| k % w < 8 && k / w < 8;
        let rgb: Vec<[f32; 3]> = (0..w * h)
            .map(|k| {
                if person(k) {
                    [20.0; 3]
                } else {
                    [10.0, 200.0, 30.0]
                }
            })
            .collect();
        let alpha: Vec<f32> = (0..w * h)
            .map(|k| if person(k) { 1.0 } else { 0.0 })
            .collect();
        let out = composite(
            &rgb,
            &vec![true; w * h],
            &alpha,
            &alpha,
            w,
            h,
            [100, 197, 255],
        );
        assert_eq!(out.get_pixel(40, 40).0, [100, 197, 255]);
        assert_eq!(out.get_pixel(2, 2).0, [20, 20, 20]);
        // In the edge band the wall is recognised by its colour and replaced too.
        assert_eq!(out.get_pixel(12, 3).0, [100, 197, 255]);
    }
}
