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

/// Composite onto `bg`. Where alpha is partial the observed colour is
/// `α·F + (1−α)·B_old`; replacing `B_old` by `bg` gives
/// `observed + (1−α)(bg − B_old)`, with `B_old` averaged from nearby pure
/// background pixels.
pub fn composite(rgb: &[[f32; 3]], alpha: &[f32], w: usize, h: usize, bg: [u8; 3]) -> RgbImage {
    let bgf = bg.map(|c| c as f32);
    let weight: Vec<f32> = alpha
        .iter()
        .map(|&a| if a <= CLEAR { 1.0 } else { 0.0 })
        .collect();
    let wsum = box_mean(&weight, w, h, 4 * RADIUS);
    let old: Vec<Vec<f32>> = (0..3)
        .map(|c| {
            let ch: Vec<f32> = rgb.iter().zip(&weight).map(|(p, wt)| p[c] * wt).collect();
            box_mean(&ch, w, h, 4 * RADIUS)
        })
        .collect();
    let mut out = RgbImage::new(w as u32, h as u32);
    for (k, px) in out.pixels_mut().enumerate() {
        let a = alpha[k];
        let v = if a <= 0.0 {
            bgf
        } else if a >= 1.0 || wsum[k] < 1e-3 {
            rgb[k]
        } else {
            let mut v = [0.0; 3];
            for c in 0..3 {
                let b_old = old[c][k] / wsum[k];
                v[c] = rgb[k][c] + (1.0 - a) * (bgf[c] - b_old);
            }
            v
        };
        px.0 = v.map(|c| c.round().clamp(0.0, 255.0) as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let (w, h) = (8, 8);
        let rgb = vec![[10.0, 200.0, 30.0]; w * h];
        let mut alpha = vec![0.0; w * h];
        alpha[0] = 1.0;
        let out = composite(&rgb, &alpha, w, h, [100, 197, 255]);
        assert_eq!(out.get_pixel(5, 5).0, [100, 197, 255]);
        assert_eq!(out.get_pixel(0, 0).0, [10, 200, 30]);
    }
}
