//! Sums over square windows read at chosen pixels in constant time (summed-area tables).
//!
//! The matte's colour estimates and the edge check need window means only along the person's
//! outline, a few per cent of the frame; box filters computed them at every pixel, ten or so
//! full-frame passes each. A table is one pass, and a window anywhere is four reads of it.

/// The sums of `C` values per pixel over any window of a `w`×`h` image. Sums are kept in f64:
/// a 480×640 frame of 8-bit colours sums to about 8·10⁷, past f32's exact integers.
pub struct WindowSums<const C: usize> {
    w: usize,
    h: usize,
    /// `(w + 1) × (h + 1)`: entry `(x, y)` sums the pixels above and left of it.
    table: Vec<[f64; C]>,
}

impl<const C: usize> WindowSums<C> {
    /// The table of `value(k)` for each pixel `k` (row-major).
    pub fn new(w: usize, h: usize, value: impl Fn(usize) -> [f32; C]) -> Self {
        let stride = w + 1;
        // Written once in order, never zeroed first: zeroing these tables was a tenth of
        // the matte's time.
        let mut table = Vec::with_capacity(stride * (h + 1));
        table.resize(stride + 1, [0f64; C]);
        for y in 0..h {
            let mut row = [0f64; C];
            for x in 0..w {
                let v = value(y * w + x);
                (0..C).for_each(|c| row[c] += f64::from(v[c]));
                let above = table[y * stride + x + 1];
                table.push(std::array::from_fn(|c| above[c] + row[c]));
            }
            if y + 1 < h {
                table.push([0f64; C]);
            }
        }
        Self { w, h, table }
    }

    /// The sums over the (2r+1)² window centred on pixel `k`, clipped to the image, and the
    /// number of pixels the clipped window holds.
    pub fn around(&self, k: usize, r: usize) -> ([f64; C], f64) {
        let (x, y) = (k % self.w, k / self.w);
        let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(self.w));
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(self.h));
        let stride = self.w + 1;
        let at = |x: usize, y: usize| &self.table[y * stride + x];
        let (a, b, c, d) = (at(x1, y1), at(x0, y1), at(x1, y0), at(x0, y0));
        let sums = std::array::from_fn(|i| a[i] - b[i] - c[i] + d[i]);
        (sums, ((x1 - x0) * (y1 - y0)) as f64)
    }
}

/// A colour weighted by `weight`, and the weight: what [`weighted_mean`] reads.
#[inline]
pub fn weighted(weight: f32, colour: [f32; 3]) -> [f32; 4] {
    [
        weight,
        weight * colour[0],
        weight * colour[1],
        weight * colour[2],
    ]
}

/// The mean colour of a window weighted by what [`weighted`] stored, and the window's mean
/// weight. The 10⁻⁵ keeps a window with no weight at black rather than dividing by zero.
pub fn weighted_mean(sums: &WindowSums<4>, k: usize, r: usize) -> ([f32; 3], f32) {
    let (s, n) = sums.around(k, r);
    let mean_weight = s[0] / n;
    let colour = [1, 2, 3].map(|c| (s[c] / n / (mean_weight + 1e-5)) as f32);
    (colour, mean_weight as f32)
}

/// The pixels within `r` (a square window) of any pixel in `seeds`, each once, in order.
pub fn dilate(seeds: &[usize], w: usize, h: usize, r: usize) -> Vec<usize> {
    let mut hit = vec![false; w * h];
    for &k in seeds {
        let (x, y) = (k % w, k / w);
        for yy in y.saturating_sub(r)..(y + r + 1).min(h) {
            hit[yy * w + x.saturating_sub(r)..yy * w + (x + r + 1).min(w)].fill(true);
        }
    }
    (0..w * h).filter(|&k| hit[k]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_sums_match_a_direct_sum_at_every_pixel_and_radius() {
        let (w, h) = (9, 6);
        let v = |k: usize| [((k * 37) % 11) as f32, (k % 5) as f32 * 0.5];
        let sums = WindowSums::new(w, h, v);
        for r in [0, 1, 2, 7] {
            for k in 0..w * h {
                let (x, y) = ((k % w) as i64, (k / w) as i64);
                let (mut s, mut n) = ([0f64; 2], 0.0);
                for j in 0..w * h {
                    let (xx, yy) = ((j % w) as i64, (j / w) as i64);
                    if (xx - x).abs() <= r as i64 && (yy - y).abs() <= r as i64 {
                        (0..2).for_each(|c| s[c] += f64::from(v(j)[c]));
                        n += 1.0;
                    }
                }
                assert_eq!(sums.around(k, r), (s, n), "pixel {k} radius {r}");
            }
        }
    }

    #[test]
    fn a_weighted_mean_ignores_what_has_no_weight() {
        // Red with weight 1 on the left half, green with weight 0 on the right.
        let (w, h) = (8, 3);
        let sums = WindowSums::new(w, h, |k| {
            if k % w < 4 {
                weighted(1.0, [200.0, 0.0, 0.0])
            } else {
                weighted(0.0, [0.0, 200.0, 0.0])
            }
        });
        let (colour, weight) = weighted_mean(&sums, w + 4, 2);
        assert!(
            (colour[0] - 200.0).abs() < 0.01 && colour[1] == 0.0,
            "{colour:?}"
        );
        // Columns 2..=6 of rows 0..=2: 6 of the 15 pixels carry weight.
        assert!((weight - 6.0 / 15.0).abs() < 1e-6, "{weight}");
    }

    #[test]
    fn dilation_reaches_r_pixels_and_stops_at_the_image() {
        let (w, h) = (10, 5);
        let got = dilate(&[0, 2 * w + 7], w, h, 1);
        let want: Vec<usize> = (0..w * h)
            .filter(|&k| {
                let (x, y) = (k % w, k / w);
                (x <= 1 && y <= 1) || ((6..=8).contains(&x) && (1..=3).contains(&y))
            })
            .collect();
        assert_eq!(got, want);
    }
}
