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
    let (lw, lh) = (w.div_ceil(2), h.div_ceil(2));
    let mut out = vec![0f32; lw * lh];
    let mut count = vec![0f32; lw * lh];
    for y in 0..h {
        for x in 0..w {
            let k = (y / 2) * lw + x / 2;
            out[k] += v[y * w + x];
            count[k] += 1.0;
        }
    }
    out.iter_mut().zip(&count).for_each(|(o, c)| *o /= c);
    out
}

/// Bilinear enlargement of a half-size image back to `w`×`h`, pixel centres
/// aligned (a low-resolution centre lies between two full-resolution ones).
fn double_size(v: &[f32], lw: usize, lh: usize, w: usize, h: usize) -> Vec<f32> {
    let taps = |x: usize, n: usize| {
        let u = ((x as f32 + 0.5) / 2.0 - 0.5).clamp(0.0, (n - 1) as f32);
        let i = (u as usize).min(n.saturating_sub(2));
        (i, (i + 1).min(n - 1), u - i as f32)
    };
    let cols: Vec<_> = (0..w).map(|x| taps(x, lw)).collect();
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        let (y0, y1, fy) = taps(y, lh);
        for (x, &(x0, x1, fx)) in cols.iter().enumerate() {
            let top = v[y0 * lw + x0] * (1.0 - fx) + v[y0 * lw + x1] * fx;
            let bottom = v[y1 * lw + x0] * (1.0 - fx) + v[y1 * lw + x1] * fx;
            out[y * w + x] = top * (1.0 - fy) + bottom * fy;
        }
    }
    out
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

/// The person's own colour where alpha is partial. Each pass takes local
/// means of the person (`F̄`, weighted by α) and of the old background
/// (`B̄`, weighted by 1−α, inside the photo only: the padding is already
/// the new colour) and corrects `F̄` by what the pixel shows:
/// `F = F̄ + α(I − αF̄ − (1−α)B̄)`, which is the pixel itself where α = 1.
pub fn foreground(
    rgb: &[[f32; 3]],
    in_photo: &[bool],
    alpha: &[f32],
    w: usize,
    h: usize,
) -> Vec<[f32; 3]> {
    let n = w * h;
    let mut f: Vec<[f32; 3]> = rgb.to_vec();
    let mut b: Vec<[f32; 3]> = rgb.to_vec();
    let wb: Vec<f32> = (0..n)
        .map(|k| if in_photo[k] { 1.0 - alpha[k] } else { 0.0 })
        .collect();
    for r in FUSION_RADII {
        let fbar = local_mean(&f, alpha, w, h, r);
        let bbar = local_mean(&b, &wb, w, h, r);
        for k in 0..n {
            let a = alpha[k];
            f[k] = [0, 1, 2].map(|c| {
                let (fb, bb) = (fbar[c][k], bbar[c][k]);
                (fb + a * (rgb[k][c] - a * fb - (1.0 - a) * bb)).clamp(0.0, 255.0)
            });
            b[k] = [0, 1, 2].map(|c| bbar[c][k]);
        }
    }
    f
}

/// Mean colour of `src` weighted by `wt` over a (2r+1)² window, per
/// channel. A wide window averages what is smooth anyway, so it is taken at
/// half resolution and enlarged back.
pub(crate) fn local_mean(
    src: &[[f32; 3]],
    wt: &[f32],
    w: usize,
    h: usize,
    r: usize,
) -> [Vec<f32>; 3] {
    let weighted = |c: usize| -> Vec<f32> { src.iter().zip(wt).map(|(p, t)| p[c] * t).collect() };
    if r < 8 {
        let mw = box_mean(wt, w, h, r);
        return [0, 1, 2].map(|c| {
            let m = box_mean(&weighted(c), w, h, r);
            m.iter().zip(&mw).map(|(v, t)| v / (t + 1e-5)).collect()
        });
    }
    let (lw, lh) = (w.div_ceil(2), h.div_ceil(2));
    let mw = box_mean(&half_size(wt, w, h), lw, lh, r / 2);
    [0, 1, 2].map(|c| {
        let m = box_mean(&half_size(&weighted(c), w, h), lw, lh, r / 2);
        let ratio: Vec<f32> = m.iter().zip(&mw).map(|(v, t)| v / (t + 1e-5)).collect();
        double_size(&ratio, lw, lh, w, h)
    })
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
