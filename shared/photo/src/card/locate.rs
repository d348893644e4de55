//! Where the card is in the photo, and the card as if scanned flat. An ID card is a bright,
//! rounded rectangle of 85.6 × 54.0 mm; photographed on a table it is the largest bright
//! region, and its four corners are the four points of that region's outline that enclose the
//! most area (a perspective view keeps them the corners).

use image::{GrayImage, Luma, Rgb, RgbImage};
use imageproc::contrast::otsu_level;
use imageproc::geometric_transformations::{Interpolation, Projection, warp_into};
use imageproc::geometry::convex_hull;
use imageproc::point::Point;
use imageproc::region_labelling::{Connectivity, connected_components};

use super::{CARD_H, CARD_W};
use crate::raster::box_shrink;

/// The card is looked for on a copy whose long side is at most this.
const SEARCH_SIDE: u32 = 640;
/// A card smaller than this share of the photo is too far away to read.
const MIN_AREA: f32 = 0.08;
/// Long side over short side of the found outline: the card's 1.585, with room for a view
/// at an angle.
const ASPECT: std::ops::RangeInclusive<f32> = 1.2..=2.2;
/// Hull points kept for the corner search (its cost grows with the fourth power).
const HULL_POINTS: usize = 36;

/// The card's corners in the photo, clockwise from the top left of the card as read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quad(pub [(f32, f32); 4]);

/// The largest bright four-sided region of `photo`, if it looks like a card.
pub fn find(photo: &RgbImage) -> Option<Quad> {
    let k = photo
        .width()
        .max(photo.height())
        .div_ceil(SEARCH_SIDE)
        .max(1);
    let small = box_shrink(photo, k);
    let gray = GrayImage::from_fn(small.width(), small.height(), |x, y| {
        let [r, g, b] = small.get_pixel(x, y).0;
        Luma([((r as u32 * 299 + g as u32 * 587 + b as u32 * 114) / 1000) as u8])
    });
    let level = otsu_level(&gray);
    let bright = GrayImage::from_fn(gray.width(), gray.height(), |x, y| {
        Luma([u8::from(gray.get_pixel(x, y).0[0] > level)])
    });
    let labels = connected_components(&bright, Connectivity::Eight, Luma([0]));
    let mut sizes: Vec<u32> = Vec::new();
    for label in labels.pixels() {
        let l = label.0[0] as usize;
        if l == 0 {
            continue;
        }
        if sizes.len() < l {
            sizes.resize(l, 0);
        }
        sizes[l - 1] += 1;
    }
    let (largest, &size) = sizes.iter().enumerate().max_by_key(|(_, n)| **n)?;
    let total = (small.width() * small.height()) as f32;
    if (size as f32) < MIN_AREA * total {
        return None;
    }
    let target = largest as u32 + 1;
    let points: Vec<Point<i32>> = labels
        .enumerate_pixels()
        .filter(|(_, _, l)| l.0[0] == target)
        .map(|(x, y, _)| Point::new(x as i32, y as i32))
        .collect();
    let hull = convex_hull(points);
    let corners = largest_quad(&hull)?;
    let quad = oriented(corners);
    let area = polygon_area(&quad);
    let (long, short) = sides(&quad);
    if area < MIN_AREA * total || !ASPECT.contains(&(long / short.max(1.0))) {
        return None;
    }
    // Back to the photo's pixels (centres of the shrunk blocks).
    let scale = |(x, y): (f32, f32)| ((x + 0.5) * k as f32, (y + 0.5) * k as f32);
    Some(Quad(quad.map(scale)))
}

/// The card flattened to the reader's size.
pub fn rectify(photo: &RgbImage, quad: &Quad) -> Option<RgbImage> {
    let (w, h) = (CARD_W as f32, CARD_H as f32);
    let projection =
        Projection::from_control_points(quad.0, [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)])?;
    let mut card = RgbImage::new(CARD_W, CARD_H);
    warp_into(
        photo,
        &projection,
        Interpolation::Bilinear,
        Rgb([255, 255, 255]),
        &mut card,
    );
    Some(card)
}

/// The four hull points enclosing the largest area.
fn largest_quad(hull: &[Point<i32>]) -> Option<[(f32, f32); 4]> {
    if hull.len() < 4 {
        return None;
    }
    let step = hull.len().div_ceil(HULL_POINTS);
    let p: Vec<(f32, f32)> = hull
        .iter()
        .step_by(step)
        .map(|q| (q.x as f32, q.y as f32))
        .collect();
    let n = p.len();
    let mut best = (0.0f32, None);
    for a in 0..n {
        for b in a + 1..n {
            for c in b + 1..n {
                for d in c + 1..n {
                    let quad = [p[a], p[b], p[c], p[d]];
                    let area = polygon_area(&quad);
                    if area > best.0 {
                        best = (area, Some(quad));
                    }
                }
            }
        }
    }
    best.1
}

/// Clockwise (in image coordinates) from the corner nearest the top left, turned so that the
/// first side is a long one: the card lies landscape once rectified.
fn oriented(quad: [(f32, f32); 4]) -> [(f32, f32); 4] {
    let cx = quad.iter().map(|p| p.0).sum::<f32>() / 4.0;
    let cy = quad.iter().map(|p| p.1).sum::<f32>() / 4.0;
    let mut q = quad;
    q.sort_by(|a, b| {
        (a.1 - cy)
            .atan2(a.0 - cx)
            .total_cmp(&(b.1 - cy).atan2(b.0 - cx))
    });
    let first = (0..4)
        .min_by(|&i, &j| (q[i].0 + q[i].1).total_cmp(&(q[j].0 + q[j].1)))
        .unwrap_or(0);
    q.rotate_left(first);
    let side = |i: usize| distance(q[i], q[(i + 1) % 4]);
    if side(0) + side(2) < side(1) + side(3) {
        q.rotate_left(1);
    }
    q
}

fn distance(a: (f32, f32), b: (f32, f32)) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// The mean long and short side lengths.
fn sides(q: &[(f32, f32); 4]) -> (f32, f32) {
    let along = (distance(q[0], q[1]) + distance(q[2], q[3])) / 2.0;
    let across = (distance(q[1], q[2]) + distance(q[3], q[0])) / 2.0;
    (along.max(across), along.min(across))
}

/// Shoelace area of a simple polygon given in order.
fn polygon_area(q: &[(f32, f32)]) -> f32 {
    let n = q.len();
    let twice: f32 = (0..n)
        .map(|i| {
            let (a, b) = (q[i], q[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum();
    twice.abs() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_turned_on_its_side_is_laid_landscape() {
        // A portrait-shaped outline: its long sides are the vertical ones.
        let q = oriented([(100.0, 0.0), (100.0, 160.0), (0.0, 160.0), (0.0, 0.0)]);
        assert!((distance(q[0], q[1]) - 160.0).abs() < 1e-3);
        let q = oriented([(0.0, 0.0), (160.0, 0.0), (160.0, 100.0), (0.0, 100.0)]);
        assert_eq!(q[0], (0.0, 0.0));
        assert_eq!(q[1], (160.0, 0.0));
    }

    #[test]
    fn the_largest_quad_of_a_rounded_rectangle_is_its_corners() {
        let mut hull = Vec::new();
        for i in 0..40 {
            let t = i as f32 / 40.0 * std::f32::consts::TAU;
            // A superellipse: a rounded rectangle's outline.
            let (c, s) = (t.cos(), t.sin());
            let x = 200.0 + 160.0 * c.signum() * c.abs().powf(0.2);
            let y = 150.0 + 100.0 * s.signum() * s.abs().powf(0.2);
            hull.push(Point::new(x as i32, y as i32));
        }
        let quad = largest_quad(&hull).unwrap();
        let area = polygon_area(&quad);
        assert!(area > 0.85 * 320.0 * 200.0, "{area}");
    }
}
