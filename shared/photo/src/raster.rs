//! Pixel helpers the stages share: resampling by scale and translation (and,
//! for model crops only, rotation), CIE L*a*b*, box filters.

use image::RgbImage;

/// An affine map from destination pixel centres to source coordinates:
/// `src = origin + u * ux + v * vy` where (u, v) are destination pixel centres.
/// Model crops use a rotated frame; the output photo only ever uses scale and
/// translation (the standard forbids rotating the photo).
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub origin: [f32; 2],
    /// Source step for one destination pixel to the right.
    pub ux: [f32; 2],
    /// Source step for one destination pixel down.
    pub vy: [f32; 2],
}

impl Frame {
    /// An axis-aligned frame: destination pixel (u, v) samples source
    /// (x0 + (u + 0.5) * step, y0 + (v + 0.5) * step).
    pub fn axis(x0: f32, y0: f32, step: f32) -> Self {
        Self {
            origin: [x0, y0],
            ux: [step, 0.0],
            vy: [0.0, step],
        }
    }

    /// A square crop of side `side` source pixels centred on `centre`, turned
    /// by `angle` radians (positive turns the crop clockwise in image
    /// coordinates), sampled at `size`² destination pixels.
    pub fn rotated_square(centre: [f32; 2], side: f32, angle: f32, size: u32) -> Self {
        let step = side / size as f32;
        let (s, c) = angle.sin_cos();
        let ux = [c * step, s * step];
        let vy = [-s * step, c * step];
        let half = size as f32 / 2.0;
        let origin = [
            centre[0] - half * (ux[0] + vy[0]),
            centre[1] - half * (ux[1] + vy[1]),
        ];
        Self { origin, ux, vy }
    }

    /// Source position of destination coordinates (continuous, pixel centre at +0.5).
    pub fn to_source(&self, u: f32, v: f32) -> [f32; 2] {
        [
            self.origin[0] + u * self.ux[0] + v * self.vy[0],
            self.origin[1] + u * self.ux[1] + v * self.vy[1],
        ]
    }

    /// The same `size`-pixel-wide crop seen in a mirror: destination column u
    /// samples what column `size - u` did.
    pub fn mirrored(&self, size: u32) -> Self {
        Self {
            origin: [
                self.origin[0] + size as f32 * self.ux[0],
                self.origin[1] + size as f32 * self.ux[1],
            ],
            ux: [-self.ux[0], -self.ux[1]],
            vy: self.vy,
        }
    }

    /// Source pixels per destination pixel.
    pub fn step(&self) -> f32 {
        (self.ux[0] * self.ux[0] + self.ux[1] * self.ux[1]).sqrt()
    }
}

/// `x.floor() as i32` without the libm call the baseline x86-64 target
/// makes of `floor` (no SSE4.1 rounding instruction): the hot sampling
/// loops call it twice per tap. Same result for every finite `x`.
#[inline(always)]
pub fn floor_i32(x: f32) -> i32 {
    let t = x as i32;
    if (t as f32) > x {
        t.saturating_sub(1)
    } else {
        t
    }
}

/// Bilinear sample with pixels outside the image replaced by `fill`.
#[inline]
fn bilinear(img: &RgbImage, x: f32, y: f32, fill: [f32; 3]) -> [f32; 3] {
    let (w, h) = (img.width() as i32, img.height() as i32);
    let fx = x - 0.5;
    let fy = y - 0.5;
    let x0 = floor_i32(fx);
    let y0 = floor_i32(fy);
    let ax = fx - x0 as f32;
    let ay = fy - y0 as f32;
    let raw = img.as_raw();
    let mut out = [0.0; 3];
    if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
        // Inside: read the 2×2 block directly.
        let i = (y0 as usize * w as usize + x0 as usize) * 3;
        let j = i + w as usize * 3;
        for c in 0..3 {
            let top = raw[i + c] as f32 + (raw[i + 3 + c] as f32 - raw[i + c] as f32) * ax;
            let bottom = raw[j + c] as f32 + (raw[j + 3 + c] as f32 - raw[j + c] as f32) * ax;
            out[c] = top + (bottom - top) * ay;
        }
        return out;
    }
    let get = |xi: i32, yi: i32| -> [f32; 3] {
        if xi < 0 || yi < 0 || xi >= w || yi >= h {
            fill
        } else {
            let i = (yi as usize * w as usize + xi as usize) * 3;
            [raw[i] as f32, raw[i + 1] as f32, raw[i + 2] as f32]
        }
    };
    let p00 = get(x0, y0);
    let p10 = get(x0 + 1, y0);
    let p01 = get(x0, y0 + 1);
    let p11 = get(x0 + 1, y0 + 1);
    for c in 0..3 {
        let top = p00[c] + (p10[c] - p00[c]) * ax;
        let bottom = p01[c] + (p11[c] - p01[c]) * ax;
        out[c] = top + (bottom - top) * ay;
    }
    out
}

/// Resample `img` through `frame` into a `w`×`h` float RGB buffer (0..255).
/// When the frame shrinks the source, each destination pixel averages an
/// n×n grid of bilinear taps so that fine texture does not alias.
pub fn sample(img: &RgbImage, frame: &Frame, w: u32, h: u32, fill: [f32; 3]) -> Vec<[f32; 3]> {
    let n = (frame.step().ceil() as usize).clamp(1, 4);
    if frame.ux[1] == 0.0 && frame.vy[0] == 0.0 {
        sample_axis(img, frame, n, w, h, fill)
    } else {
        sample_general(img, frame, n, w, h, fill)
    }
}

fn sample_general(
    img: &RgbImage,
    frame: &Frame,
    n: usize,
    w: u32,
    h: u32,
    fill: [f32; 3],
) -> Vec<[f32; 3]> {
    let inv = 1.0 / (n * n) as f32;
    // Source offsets of the n×n taps from a destination pixel's corner.
    let taps: Vec<[f32; 2]> = (0..n * n)
        .map(|t| {
            let (du, dv) = tap_offsets(t, n);
            [
                du * frame.ux[0] + dv * frame.vy[0],
                du * frame.ux[1] + dv * frame.vy[1],
            ]
        })
        .collect();
    let mut out = Vec::with_capacity((w * h) as usize);
    for v in 0..h {
        let row = frame.to_source(0.0, v as f32);
        for u in 0..w {
            let corner = [
                row[0] + u as f32 * frame.ux[0],
                row[1] + u as f32 * frame.ux[1],
            ];
            let mut acc = [0.0f32; 3];
            for t in &taps {
                let p = bilinear(img, corner[0] + t[0], corner[1] + t[1], fill);
                acc[0] += p[0];
                acc[1] += p[1];
                acc[2] += p[2];
            }
            out.push([acc[0] * inv, acc[1] * inv, acc[2] * inv]);
        }
    }
    out
}

/// Position of tap `t` of an n×n grid inside a destination pixel (0..1).
fn tap_offsets(t: usize, n: usize) -> (f32, f32) {
    (
        ((t % n) as f32 + 0.5) / n as f32,
        ((t / n) as f32 + 0.5) / n as f32,
    )
}

/// [`sample`] for a frame without rotation (the output photo, the person
/// mask, the detector's view): a tap's x depends only on the column and its
/// y only on the row, so each source row is interpolated horizontally once
/// at every column's taps, and each destination pixel blends those rows.
/// The arithmetic is the general path's, term for term (its cross terms
/// are exact zeros, and [`bilinear`] also interpolates along x first), so
/// the result is bit-identical.
fn sample_axis(
    img: &RgbImage,
    frame: &Frame,
    n: usize,
    w: u32,
    h: u32,
    fill: [f32; 3],
) -> Vec<[f32; 3]> {
    let inv = 1.0 / (n * n) as f32;
    let offsets: Vec<(f32, f32)> = (0..n).map(|i| tap_offsets(i * n + i, n)).collect();
    // Each tap's first source pixel and its weight along the axis.
    let split = |p: f32| {
        let f = p - 0.5;
        let i = floor_i32(f);
        (i, f - i as f32)
    };
    let xs: Vec<(i32, f32)> = (0..w)
        .flat_map(|u| {
            let corner = frame.origin[0] + u as f32 * frame.ux[0];
            offsets
                .iter()
                .map(move |(du, _)| split(corner + du * frame.ux[0]))
        })
        .collect();
    let ys: Vec<(i32, f32)> = (0..h)
        .flat_map(|v| {
            let corner = frame.origin[1] + v as f32 * frame.vy[1];
            offsets
                .iter()
                .map(move |(_, dv)| split(corner + dv * frame.vy[1]))
        })
        .collect();
    let mut rows = RowCache::new(2 * n + 2);
    let mut out = Vec::with_capacity((w * h) as usize);
    for ty in ys.chunks_exact(n) {
        let start = out.len();
        out.resize(start + w as usize, [0.0f32; 3]);
        for &(y0, ay) in ty {
            let top = rows.get(img, y0, &xs, fill);
            let bottom = rows.get(img, y0 + 1, &xs, fill);
            let (top, bottom) = (&rows.rows[top].1, &rows.rows[bottom].1);
            for (u, acc) in out[start..].iter_mut().enumerate() {
                for t in u * n..(u + 1) * n {
                    for c in 0..3 {
                        acc[c] += top[t][c] + (bottom[t][c] - top[t][c]) * ay;
                    }
                }
            }
        }
        out[start..]
            .iter_mut()
            .for_each(|acc| *acc = acc.map(|v| v * inv));
    }
    out
}

/// Source rows interpolated at every x tap, the last few kept: the taps of
/// consecutive destination rows share source rows.
struct RowCache {
    rows: Vec<(i32, Vec<[f32; 3]>)>,
    capacity: usize,
}

impl RowCache {
    fn new(capacity: usize) -> Self {
        Self {
            rows: Vec::with_capacity(capacity),
            capacity,
        }
    }

    /// The index in `rows` of source row `y` at the taps `xs`
    /// (outside the image: `fill`).
    fn get(&mut self, img: &RgbImage, y: i32, xs: &[(i32, f32)], fill: [f32; 3]) -> usize {
        if let Some(i) = self.rows.iter().position(|(r, _)| *r == y) {
            return i;
        }
        let (w, h) = (img.width() as i32, img.height() as i32);
        let line = (y >= 0 && y < h).then(|| {
            let start = y as usize * w as usize * 3;
            &img.as_raw()[start..start + w as usize * 3]
        });
        let px = |x: i32| -> [f32; 3] {
            match line {
                Some(l) if x >= 0 && x < w => {
                    let i = x as usize * 3;
                    [l[i] as f32, l[i + 1] as f32, l[i + 2] as f32]
                }
                _ => fill,
            }
        };
        let row: Vec<[f32; 3]> = xs
            .iter()
            .map(|&(x0, ax)| {
                let (a, b) = (px(x0), px(x0 + 1));
                [0, 1, 2].map(|c| a[c] + (b[c] - a[c]) * ax)
            })
            .collect();
        if self.rows.len() < self.capacity {
            self.rows.push((y, row));
            return self.rows.len() - 1;
        }
        // The row farthest from this one goes: rows are asked for in order,
        // up or down, and the one just asked for (`y − 1`) stays.
        let i = (0..self.rows.len())
            .max_by_key(|&i| (self.rows[i].0 - y).unsigned_abs())
            .expect("capacity above zero");
        self.rows[i] = (y, row);
        i
    }
}

/// An image and its successive halvings, so that any resampling reads a
/// level at most twice as fine as it needs: a model crop of a 12-megapixel
/// face then costs a few taps per pixel, not sixteen.
pub struct Pyramid<'a> {
    base: &'a RgbImage,
    upper: Vec<RgbImage>,
}

impl<'a> Pyramid<'a> {
    /// Halve down to about 64 px on the short side.
    pub fn new(base: &'a RgbImage) -> Self {
        let mut upper: Vec<RgbImage> = Vec::new();
        loop {
            let last = upper.last().unwrap_or(base);
            if last.width().min(last.height()) < 128 {
                break;
            }
            let next = box_shrink(last, 2);
            upper.push(next);
        }
        Self { base, upper }
    }

    pub fn base(&self) -> &RgbImage {
        self.base
    }

    /// [`sample`] from the coarsest level that still has at least one pixel
    /// per destination pixel.
    pub fn sample(&self, frame: &Frame, w: u32, h: u32, fill: [f32; 3]) -> Vec<[f32; 3]> {
        let level = (frame.step().max(1.0).log2().floor() as usize).min(self.upper.len());
        if level == 0 {
            return sample(self.base, frame, w, h, fill);
        }
        let k = 1.0 / (1u32 << level) as f32;
        let scaled = Frame {
            origin: frame.origin.map(|v| v * k),
            ux: frame.ux.map(|v| v * k),
            vy: frame.vy.map(|v| v * k),
        };
        sample(&self.upper[level - 1], &scaled, w, h, fill)
    }
}

/// Shrink by an integer factor with a box filter: cheap and alias-free, used
/// to bring a 12-megapixel photo down to the resolution the face needs.
/// Rows are first summed vertically (a contiguous loop the compiler
/// vectorises), then each block's `k` pixels horizontally.
pub fn box_shrink(img: &RgbImage, k: u32) -> RgbImage {
    if k <= 1 {
        return img.clone();
    }
    let (w, h) = (img.width() / k, img.height() / k);
    let (w, h) = (w.max(1), h.max(1));
    let src = img.as_raw();
    let sw = img.width() as usize;
    let (k, w) = (k as usize, w as usize);
    // An image narrower or shorter than k still gives one pixel from what
    // there is, as before: clamp the block to the image.
    let (kx, ky) = (k.min(sw), k.min(img.height() as usize));
    let area = (kx * ky) as u32;
    let div = RoundDiv::new(area);
    let span = w * kx * 3;
    let mut out = vec![0u8; w * h as usize * 3];
    let mut col = vec![0u32; span];
    for (oy, o) in out.chunks_exact_mut(w * 3).enumerate() {
        col.iter_mut().for_each(|c| *c = 0);
        for dy in 0..ky {
            let sy = oy * k + dy;
            let line = &src[sy * sw * 3..sy * sw * 3 + span];
            col.iter_mut().zip(line).for_each(|(c, &v)| *c += v as u32);
        }
        for (dst, block) in o.chunks_exact_mut(3).zip(col.chunks_exact(3 * kx)) {
            let mut acc = [0u32; 3];
            for px in block.chunks_exact(3) {
                acc[0] += px[0];
                acc[1] += px[1];
                acc[2] += px[2];
            }
            for c in 0..3 {
                dst[c] = div.of(acc[c]) as u8;
            }
        }
    }
    RgbImage::from_raw(w as u32, h, out).expect("buffer sized from dimensions")
}

/// Rounded division by a fixed divisor as a multiply and shift: a hardware
/// divide per channel was a good part of [`box_shrink`]'s time. With
/// m = ⌈2⁴⁰/d⌉ the quotient ⌊x·m/2⁴⁰⌋ is exact for x < 2²⁴ and d < 2¹⁶
/// (Granlund–Montgomery); larger divisors fall back to dividing.
#[derive(Clone, Copy)]
struct RoundDiv {
    d: u32,
    m: u64,
}

impl RoundDiv {
    fn new(d: u32) -> Self {
        let m = if d < 1 << 16 {
            (1u64 << 40).div_ceil(d as u64)
        } else {
            0
        };
        Self { d, m }
    }

    /// (x + d/2) / d, for x up to 255·d (a box of 8-bit samples).
    #[inline(always)]
    fn of(self, x: u32) -> u32 {
        let x = x + self.d / 2;
        if self.m != 0 && x < 1 << 24 {
            ((x as u64 * self.m) >> 40) as u32
        } else {
            x / self.d
        }
    }
}

/// Shrink by an integer factor reading only the 2×2 pixels at the centre of
/// each block: a quick preview for the face detector, whose own input is
/// 128–192 px and is sampled with its own anti-aliasing from this image.
/// Reads 4 pixels per block instead of k², which matters at 12 megapixels.
pub fn sparse_shrink(img: &RgbImage, k: u32) -> RgbImage {
    if k <= 2 {
        return box_shrink(img, k);
    }
    let (w, h) = ((img.width() / k).max(1), (img.height() / k).max(1));
    let src = img.as_raw();
    let sw = img.width() as usize;
    let mut out = Vec::with_capacity((w * h * 3) as usize);
    let c = (k / 2 - 1) as usize;
    for oy in 0..h as usize {
        let y = oy * k as usize + c;
        for ox in 0..w as usize {
            let x = ox * k as usize + c;
            for ch in 0..3 {
                let at = |yy: usize, xx: usize| src[(yy * sw + xx) * 3 + ch] as u32;
                let sum = at(y, x) + at(y, x + 1) + at(y + 1, x) + at(y + 1, x + 1);
                out.push(((sum + 2) / 4) as u8);
            }
        }
    }
    RgbImage::from_raw(w, h, out).expect("buffer sized from dimensions")
}

fn srgb_to_linear(c: f32) -> f32 {
    let c = (c / 255.0).clamp(0.0, 1.0);
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// sRGB (0..255) to linear light (0..1). Whole values, the common case,
/// come from a table.
pub fn linear(rgb: [f32; 3]) -> [f32; 3] {
    static LUT: std::sync::OnceLock<[f32; 256]> = std::sync::OnceLock::new();
    let lut = LUT.get_or_init(|| std::array::from_fn(|i| srgb_to_linear(i as f32)));
    rgb.map(|c| {
        let i = c as usize;
        if i < 256 && i as f32 == c {
            lut[i]
        } else {
            srgb_to_linear(c)
        }
    })
}

/// sRGB (0..255) to CIE L*a*b* under D65.
pub fn lab(rgb: [f32; 3]) -> [f32; 3] {
    lab_from_linear(linear(rgb))
}

/// Linear-light RGB to CIE L*a*b* under D65.
pub fn lab_from_linear([r, g, b]: [f32; 3]) -> [f32; 3] {
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    fn f(t: f32) -> f32 {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    }
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// CIE76 colour difference.
pub fn delta_e(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Mean of `w`×`h` values over a (2r+1)² window, edges handled by shrinking
/// the window. Separable running sums: O(1) per pixel whatever the radius;
/// the vertical pass runs a row at a time so it reads memory in order.
pub fn box_mean(src: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        running_mean(
            &src[y * w..(y + 1) * w],
            1,
            &mut tmp[y * w..(y + 1) * w],
            1,
            w,
            r,
        );
    }
    let mut out = vec![0f32; w * h];
    let mut sum = vec![0f32; w];
    for row in tmp.chunks_exact(w).take(r.min(h)) {
        sum.iter_mut().zip(row).for_each(|(s, v)| *s += v);
    }
    for y in 0..h {
        if y + r < h {
            sum.iter_mut()
                .zip(&tmp[(y + r) * w..(y + r + 1) * w])
                .for_each(|(s, v)| *s += v);
        }
        if y > r {
            let old = &tmp[(y - r - 1) * w..(y - r) * w];
            sum.iter_mut().zip(old).for_each(|(s, v)| *s -= v);
        }
        let inv = 1.0 / ((y + r + 1).min(h) - y.saturating_sub(r)) as f32;
        out[y * w..(y + 1) * w]
            .iter_mut()
            .zip(&sum)
            .for_each(|(o, s)| *o = s * inv);
    }
    out
}

/// Windowed mean along one line of `n` values spaced `ss` (source) and `ds`
/// (destination) apart. Sums in f64: a line is at most a few thousand values.
fn running_mean(src: &[f32], ss: usize, dst: &mut [f32], ds: usize, n: usize, r: usize) {
    let mut sum = 0f64;
    for i in 0..r.min(n) {
        sum += src[i * ss] as f64;
    }
    for i in 0..n {
        if i + r < n {
            sum += src[(i + r) * ss] as f64;
        }
        if i > r {
            sum -= src[(i - r - 1) * ss] as f64;
        }
        let count = (i + r + 1).min(n) - i.saturating_sub(r);
        dst[i * ds] = (sum / count as f64) as f32;
    }
}

/// Rec. 601 luma of a float RGB pixel.
#[inline]
pub fn luma(p: [f32; 3]) -> f32 {
    0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_of_white_and_black_are_the_ends_of_lightness() {
        let white = lab([255.0, 255.0, 255.0]);
        assert!((white[0] - 100.0).abs() < 0.1 && white[1].abs() < 0.5 && white[2].abs() < 0.5);
        assert!(lab([0.0, 0.0, 0.0])[0].abs() < 0.1);
    }

    #[test]
    fn box_shrink_averages_blocks() {
        let img = RgbImage::from_fn(4, 2, |x, _| {
            if x % 2 == 0 {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([200, 100, 50])
            }
        });
        let small = box_shrink(&img, 2);
        assert_eq!(small.dimensions(), (2, 1));
        assert_eq!(small.get_pixel(0, 0).0, [100, 50, 25]);
    }

    #[test]
    fn round_div_is_exact_division() {
        for d in (1..=300).chain([1024, 3136, 65535, 65536, 100_000]) {
            let div = RoundDiv::new(d);
            let top = 255 * d.min(65_000) + d;
            for x in (0..top).step_by(1 + (d as usize / 64)) {
                assert_eq!(div.of(x), (x + d / 2) / d, "{x} / {d}");
            }
        }
    }

    #[test]
    fn box_shrink_matches_a_direct_average() {
        let img = RgbImage::from_fn(23, 17, |x, y| {
            image::Rgb([(x * 11 + y * 7) as u8, (x * y) as u8, (255 - x * 3) as u8])
        });
        for k in 1..=5u32 {
            let small = box_shrink(&img, k);
            assert_eq!(small.dimensions(), (23 / k, 17 / k));
            for (ox, oy, p) in small.enumerate_pixels() {
                for c in 0..3 {
                    let mut s = 0u32;
                    for dy in 0..k {
                        for dx in 0..k {
                            s += img.get_pixel(ox * k + dx, oy * k + dy)[c] as u32;
                        }
                    }
                    assert_eq!(p[c] as u32, (s + k * k / 2) / (k * k));
                }
            }
        }
    }

    #[test]
    fn axis_sampling_matches_the_general_path_exactly() {
        let img = RgbImage::from_fn(97, 61, |x, y| {
            image::Rgb([(x * 13 + y * 5) as u8, (x ^ y) as u8, (x * y % 251) as u8])
        });
        for (x0, y0, step) in [
            (-3.3f32, 2.7f32, 0.77f32),
            (10.1, -5.0, 1.6),
            (-20.0, -9.5, 3.3),
        ] {
            // And seen in a mirror: the taps run right to left.
            for f in [
                Frame::axis(x0, y0, step),
                Frame::axis(x0, y0, step).mirrored(40),
            ] {
                let n = (f.step().ceil() as usize).clamp(1, 4);
                let fast = sample_axis(&img, &f, n, 40, 30, [7.0, 8.0, 9.0]);
                let general = sample_general(&img, &f, n, 40, 30, [7.0, 8.0, 9.0]);
                assert_eq!(fast, general, "{x0} {y0} {step} {:?}", f.ux);
            }
        }
    }

    #[test]
    fn floor_i32_is_floor() {
        for x in [
            f32::NEG_INFINITY,
            f32::NAN,
            -3e9,
            -2.5f32,
            -2.0,
            -1.0,
            -0.5,
            -1e-7,
            0.0,
            1e-7,
            0.5,
            1.0,
            2.999,
            1e6 + 0.5,
        ] {
            assert_eq!(floor_i32(x), x.floor() as i32, "{x}");
        }
    }

    #[test]
    fn box_mean_matches_a_direct_average() {
        let (w, h) = (7, 5);
        let src: Vec<f32> = (0..w * h).map(|i| ((i * 37) % 11) as f32).collect();
        let fast = box_mean(&src, w, h, 2);
        for y in 0..h {
            for x in 0..w {
                let (mut s, mut n) = (0.0, 0.0);
                for yy in y.saturating_sub(2)..(y + 3).min(h) {
                    for xx in x.saturating_sub(2)..(x + 3).min(w) {
                        s += src[yy * w + xx];
                        n += 1.0;
                    }
                }
                assert!((fast[y * w + x] - s / n).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn rotated_square_frame_keeps_its_centre() {
        let f = Frame::rotated_square([50.0, 40.0], 20.0, 0.3, 10);
        let c = f.to_source(5.0, 5.0);
        assert!((c[0] - 50.0).abs() < 1e-4 && (c[1] - 40.0).abs() < 1e-4);
    }
}
