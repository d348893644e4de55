//! Step 4: cut the student out and put them on the profile colour.
//!
//! The segmentation models work at 256² and 512², far coarser than hair at
//! the output's resolution. Their matte is refined at output resolution
//! with a colour guided filter (He, Sun and Tang 2013, §3.5): alpha follows
//! the photo's own colour edges, so dark hair stays apart from a dark
//! background of another hue. The colour of the person where alpha is
//! partial is then estimated by blur-fusion (Forte and Pitié 2021): local
//! means of the sure person and of the old background, corrected by what
//! the pixel shows. The frame is `α·F + (1−α)·profile`: opaque pixels keep
//! the photo's own colour exactly, clear ones are exactly the profile
//! colour, and an edge shows the person's colour, never the old background.

use image::RgbImage;

use crate::raster::box_mean;
use crate::window::{WindowSums, dilate, weighted, weighted_mean};

/// Guided-filter window radius at output resolution: about the width of a
/// lock of hair at 480×640.
const RADIUS: usize = 6;
/// Regularisation (colour², 0..1 scale): edges weaker than this contrast do
/// not pull the matte. A white shirt against a light-grey wall differs by
/// about 0.03 per channel, so 1e-3 left its shoulders a soft ramp; at 1e-4
/// they follow the photo (matting benchmark edge ΔE: gravel 3.65 → 3.56).
const EPS: f32 = 1e-4;
/// Below this alpha a pixel is background and takes the profile colour
/// exactly (the standard asks for a uniform background).
const CLEAR: f32 = 0.04;
const SOLID: f32 = 0.96;

/// Refine a coarse alpha at the resolution of `rgb` (both `w`×`h`). The
/// filter's linear coefficients vary slowly, so they are fitted at half
/// resolution and applied to the full-resolution guide (the fast guided
/// filter, He and Sun 2015): a quarter of the box filters' work.
pub fn refine(rgb: &[[f32; 3]], coarse: &[f32], w: usize, h: usize) -> Vec<f32> {
    let guide: [Vec<f32>; 3] = [0, 1, 2].map(|c| rgb.iter().map(|p| p[c] / 255.0).collect());
    let (lw, lh) = (w.div_ceil(2), h.div_ceil(2));
    let i = guide.clone().map(|g| half_size(&g, w, h));
    let p = half_size(coarse, w, h);
    let n = lw * lh;
    let mean = |v: &[f32]| box_mean(v, lw, lh, RADIUS / 2);
    let mi = [mean(&i[0]), mean(&i[1]), mean(&i[2])];
    let mp = mean(&p);
    // Covariance of the guide (6 distinct entries) and with the input.
    const PAIRS: [(usize, usize); 6] = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)];
    let cov: Vec<Vec<f32>> = PAIRS
        .iter()
        .map(|&(a, b)| {
            let prod: Vec<f32> = (0..n).map(|k| i[a][k] * i[b][k]).collect();
            let m = mean(&prod);
            (0..n).map(|k| m[k] - mi[a][k] * mi[b][k]).collect()
        })
        .collect();
    let cip: Vec<Vec<f32>> = (0..3)
        .map(|c| {
            let prod: Vec<f32> = (0..n).map(|k| i[c][k] * p[k]).collect();
            let m = mean(&prod);
            (0..n).map(|k| m[k] - mi[c][k] * mp[k]).collect()
        })
        .collect();
    let mut a = [vec![0f32; n], vec![0f32; n], vec![0f32; n]];
    let mut b = vec![0f32; n];
    for k in 0..n {
        let s = [
            cov[0][k] + EPS,
            cov[1][k],
            cov[2][k],
            cov[3][k] + EPS,
            cov[4][k],
            cov[5][k] + EPS,
        ];
        let ak = solve_sym3(s, [cip[0][k], cip[1][k], cip[2][k]]);
        (0..3).for_each(|c| a[c][k] = ak[c]);
        b[k] = mp[k] - (0..3).map(|c| ak[c] * mi[c][k]).sum::<f32>();
    }
    let ma = [0, 1, 2].map(|c| double_size(&mean(&a[c]), lw, lh, w, h));
    let mb = double_size(&mean(&b), lw, lh, w, h);
    (0..w * h)
        .map(|k| {
            let q = mb[k] + (0..3).map(|c| ma[c][k] * guide[c][k]).sum::<f32>();
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

/// Mean of each 2×2 block (the last row or column alone where the size is odd).
fn half_size(v: &[f32], w: usize, h: usize) -> Vec<f32> {
    half_size_of(w, h, |k| [v[k]])
        .into_iter()
        .map(|[m]| m)
        .collect()
}

/// [`half_size`] of `C` values per pixel.
fn half_size_of<const C: usize>(
    w: usize,
    h: usize,
    value: impl Fn(usize) -> [f32; C],
) -> Vec<[f32; C]> {
    let (lw, lh) = (w.div_ceil(2), h.div_ceil(2));
    let mut out = vec![[0f32; C]; lw * lh];
    let mut count = vec![0f32; lw * lh];
    for y in 0..h {
        for x in 0..w {
            let k = (y / 2) * lw + x / 2;
            let v = value(y * w + x);
            (0..C).for_each(|c| out[k][c] += v[c]);
            count[k] += 1.0;
        }
    }
    out.iter_mut()
        .zip(&count)
        .for_each(|(o, n)| o.iter_mut().for_each(|v| *v /= n));
    out
}

/// The two half-size samples either side of full-size position `x` (of `n`
/// at half size) and the second's weight: pixel centres aligned, a
/// low-resolution centre between two full-resolution ones.
fn half_taps(x: usize, n: usize) -> (usize, usize, f32) {
    let u = ((x as f32 + 0.5) / 2.0 - 0.5).clamp(0.0, (n - 1) as f32);
    let i = (u as usize).min(n.saturating_sub(2));
    (i, (i + 1).min(n - 1), u - i as f32)
}

/// Bilinear enlargement of a half-size image back to `w`×`h`.
fn double_size(v: &[f32], lw: usize, lh: usize, w: usize, h: usize) -> Vec<f32> {
    let cols: Vec<_> = (0..w).map(|x| half_taps(x, lw)).collect();
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        let row = half_taps(y, lh);
        for (x, &col) in cols.iter().enumerate() {
            out[y * w + x] = half_lerp(v, lw, col, row);
        }
    }
    out
}

/// A half-size image `v` (`lw` wide) read between samples: bilinear over the [`half_taps`]
/// of a full-size column and row.
#[inline]
fn half_lerp(
    v: &[f32],
    lw: usize,
    (x0, x1, fx): (usize, usize, f32),
    (y0, y1, fy): (usize, usize, f32),
) -> f32 {
    let top = v[y0 * lw + x0] * (1.0 - fx) + v[y0 * lw + x1] * fx;
    let bottom = v[y1 * lw + x0] * (1.0 - fx) + v[y1 * lw + x1] * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Solve `S x = v` for a symmetric 3×3 `S` given as (xx, xy, xz, yy, yz, zz),
/// positive definite here (a covariance plus ε·I), by Cramer's rule.
fn solve_sym3([a, b, c, d, e, f]: [f32; 6], v: [f32; 3]) -> [f32; 3] {
    // Cofactors of [[a b c] [b d e] [c e f]].
    let (c00, c01, c02) = (d * f - e * e, c * e - b * f, b * e - c * d);
    let (c11, c12, c22) = (a * f - c * c, b * c - a * e, a * d - b * b);
    let det = a * c00 + b * c01 + c * c02;
    [
        (c00 * v[0] + c01 * v[1] + c02 * v[2]) / det,
        (c01 * v[0] + c11 * v[1] + c12 * v[2]) / det,
        (c02 * v[0] + c12 * v[1] + c22 * v[2]) / det,
    ]
}

/// Blur-fusion radii at output resolution: a wide pass for the colours
/// either side of the edge, then a narrow one that follows hair strands.
const FUSION_RADII: [usize; 2] = [30, 3];

/// The person's own colour where alpha is partial (elsewhere the photo's,
/// which [`composite`] does not read). Each pass takes local means of the
/// person (`F̄`, weighted by α) and of the old background (`B̄`, weighted by
/// 1−α, inside the photo only: the padding is already the new colour) and
/// corrects `F̄` by what the pixel shows: `F = F̄ + α(I − αF̄ − (1−α)B̄)`,
/// which is the pixel itself where α = 1. The means are read from window
/// sums at the partial pixels only (and the first pass's `B̄` within the
/// narrow radius of them, which the second pass averages): a few per cent
/// of the frame.
pub fn foreground(
    rgb: &[[f32; 3]],
    in_photo: &[bool],
    alpha: &[f32],
    w: usize,
    h: usize,
) -> Vec<[f32; 3]> {
    let mut f: Vec<[f32; 3]> = rgb.to_vec();
    let band: Vec<usize> = (0..w * h)
        .filter(|&k| alpha[k] > 0.0 && alpha[k] < 1.0)
        .collect();
    if band.is_empty() {
        return f;
    }
    let old_bg = |k: usize| if in_photo[k] { 1.0 - alpha[k] } else { 0.0 };
    let fuse = |k: usize, fbar: [f32; 3], bbar: [f32; 3]| {
        let a = alpha[k];
        [0, 1, 2].map(|c| {
            (fbar[c] + a * (rgb[k][c] - a * fbar[c] - (1.0 - a) * bbar[c])).clamp(0.0, 255.0)
        })
    };
    let [wide, narrow] = FUSION_RADII;
    // The first pass: both sides' colours from the photo itself.
    let person = WideMean::new(w, h, wide, |k| weighted(alpha[k], rgb[k]));
    let backdrop = WideMean::new(w, h, wide, |k| weighted(old_bg(k), rgb[k]));
    let mut b = vec![[0f32; 3]; w * h];
    for k in dilate(&band, w, h, narrow) {
        b[k] = backdrop.at(k);
    }
    for &k in &band {
        f[k] = fuse(k, person.at(k), b[k]);
    }
    // The second pass: the first's estimates, over hair-strand widths.
    let person = WindowSums::new(w, h, |k| weighted(alpha[k], f[k]));
    let backdrop = WindowSums::new(w, h, |k| weighted(old_bg(k), b[k]));
    for &k in &band {
        f[k] = fuse(
            k,
            weighted_mean(&person, k, narrow).0,
            weighted_mean(&backdrop, k, narrow).0,
        );
    }
    f
}

/// A weighted mean colour over a wide window: smooth, so taken at half
/// resolution (2×2 block means, the window halved) and read at a full-size
/// pixel by bilinear interpolation.
struct WideMean {
    w: usize,
    lw: usize,
    lh: usize,
    /// Each channel's mean at half size.
    mean: [Vec<f32>; 3],
}

impl WideMean {
    fn new(w: usize, h: usize, r: usize, value: impl Fn(usize) -> [f32; 4]) -> Self {
        let (lw, lh) = (w.div_ceil(2), h.div_ceil(2));
        let half = half_size_of(w, h, value);
        let sums = WindowSums::new(lw, lh, |j| half[j]);
        let means: Vec<[f32; 3]> = (0..lw * lh)
            .map(|j| weighted_mean(&sums, j, r / 2).0)
            .collect();
        let mean = [0, 1, 2].map(|c| means.iter().map(|m| m[c]).collect());
        Self { w, lw, lh, mean }
    }

    fn at(&self, k: usize) -> [f32; 3] {
        let (col, row) = (
            half_taps(k % self.w, self.lw),
            half_taps(k / self.w, self.lh),
        );
        self.mean
            .each_ref()
            .map(|m| half_lerp(m, self.lw, col, row))
    }
}

/// Composite onto `bg`: `α·F + (1−α)·bg`, the photo itself where α = 1.
pub fn composite(
    rgb: &[[f32; 3]],
    in_photo: &[bool],
    alpha: &[f32],
    w: usize,
    h: usize,
    bg: [u8; 3],
) -> RgbImage {
    let bgf = bg.map(|c| c as f32);
    let fg = foreground(rgb, in_photo, alpha, w, h);
    let mut out = RgbImage::new(w as u32, h as u32);
    for (k, px) in out.pixels_mut().enumerate() {
        let a = alpha[k];
        let v = if a <= 0.0 {
            bgf
        } else if a >= 1.0 {
            rgb[k]
        } else {
            [0, 1, 2].map(|c| a * fg[k][c] + (1.0 - a) * bgf[c])
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
    fn solve_sym3_inverts_a_covariance() {
        let s = [4.0, 1.0, 0.5, 3.0, 0.2, 2.0];
        let x = [1.0f32, -2.0, 0.5];
        let v = [
            s[0] * x[0] + s[1] * x[1] + s[2] * x[2],
            s[1] * x[0] + s[3] * x[1] + s[4] * x[2],
            s[2] * x[0] + s[4] * x[1] + s[5] * x[2],
        ];
        let got = solve_sym3(s, v);
        for c in 0..3 {
            assert!((got[c] - x[c]).abs() < 1e-5, "{got:?}");
        }
    }

    #[test]
    fn partial_alpha_takes_the_persons_colour_not_the_old_background() {
        // A red person left of column 30, a green wall right of column 34,
        // and between them alpha ramping down with the colour a mix of both.
        let (w, h) = (64, 16);
        let (red, green) = ([200.0, 40.0, 30.0], [20.0, 180.0, 40.0]);
        let alpha: Vec<f32> = (0..w * h)
            .map(|k| ((34.0 - (k % w) as f32) / 4.0).clamp(0.0, 1.0))
            .collect();
        let rgb: Vec<[f32; 3]> = alpha
            .iter()
            .map(|&a| [0, 1, 2].map(|c| a * red[c] + (1.0 - a) * green[c]))
            .collect();
        let f = foreground(&rgb, &vec![true; w * h], &alpha, w, h);
        for x in 31..34 {
            let k = 8 * w + x;
            let off = (0..3).map(|c| (f[k][c] - red[c]).abs()).fold(0.0, f32::max);
            assert!(off < 12.0, "column {x}: {:?} for α {}", f[k], alpha[k]);
        }
        // Opaque pixels are the photo itself.
        assert_eq!(f[8 * w + 10], rgb[8 * w + 10]);
        let out = composite(&rgb, &vec![true; w * h], &alpha, w, h, [100, 197, 255]);
        // Half way along the edge: half red, half the profile colour, no green.
        let p = out.get_pixel(32, 8).0;
        assert!(p[1] < 130, "{p:?}");
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
        let out = composite(&rgb, &vec![true; w * h], &alpha, w, h, [100, 197, 255]);
        assert_eq!(out.get_pixel(40, 40).0, [100, 197, 255]);
        assert_eq!(out.get_pixel(2, 2).0, [20, 20, 20]);
        // In the edge band the wall is recognised by its colour and replaced too.
        assert_eq!(out.get_pixel(12, 3).0, [100, 197, 255]);
    }
}
