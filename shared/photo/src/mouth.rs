//! Teeth showing between the lips. The lip gap alone does not separate a
//! closed-lip smile (lips stretched, the mesh's inner outline apart) from
//! an open mouth; what the standard forbids is the teeth or the mouth's
//! inside showing. Teeth are far less red than lips and skin and nearly as
//! light as skin: count such pixels inside the inner-lip outline.

use crate::landmarks::Mesh;
use crate::raster::{Frame, Pyramid, lab};

/// Inner-lip outline of the face mesh: the upper lip from corner to corner,
/// then the lower lip back.
const INNER_UPPER: [usize; 11] = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308];
const INNER_LOWER: [usize; 9] = [324, 318, 402, 317, 14, 87, 178, 88, 95];

/// Even-odd test of a point against a closed polygon.
fn inside(poly: &[[f32; 2]], p: [f32; 2]) -> bool {
    let mut inside = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[j]);
        if (a[1] > p[1]) != (b[1] > p[1])
            && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]
        {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// The mouth's inside as seen, in units of the mouth width squared.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct MouthInside {
    /// Area of teeth-coloured pixels inside the inner-lip outline.
    pub teeth: f32,
    /// Area of dark pixels there (the open mouth's cavity).
    pub dark: f32,
}

/// Read the inside of the mouth on a grid of 1/100 of the mouth's width.
/// `skin` is the cheeks' L*a*b*.
pub fn inside_of_mouth(img: &Pyramid, mesh: &Mesh, skin: [f32; 3]) -> MouthInside {
    let poly: Vec<[f32; 2]> = INNER_UPPER
        .iter()
        .chain(&INNER_LOWER)
        .map(|&k| mesh.xy(k))
        .collect();
    // The mouth's inner corners: where the two lip outlines meet.
    let (l, r) = (mesh.xy(INNER_UPPER[0]), mesh.xy(INNER_UPPER[10]));
    let width = ((r[0] - l[0]).powi(2) + (r[1] - l[1]).powi(2))
        .sqrt()
        .max(1.0);
    let step = width / 100.0;
    let (x0, y0, x1, y1) = poly.iter().fold(
        (f32::MAX, f32::MAX, f32::MIN, f32::MIN),
        |(a, b, c, d), p| (a.min(p[0]), b.min(p[1]), c.max(p[0]), d.max(p[1])),
    );
    let (nx, ny) = (
        ((x1 - x0) / step).ceil().max(1.0) as u32,
        ((y1 - y0) / step).ceil().max(1.0) as u32,
    );
    let frame = Frame::axis(x0, y0, step);
    let px = img.sample(&frame, nx, ny, [f32::NAN; 3]);
    let (mut teeth, mut dark) = (0usize, 0usize);
    for (k, p) in px.iter().enumerate() {
        let c = frame.to_source((k as u32 % nx) as f32 + 0.5, (k as u32 / nx) as f32 + 0.5);
        if !inside(&poly, c) || p[0].is_nan() {
            continue;
        }
        let q = lab(*p);
        if q[0] >= (skin[0] - TEETH_BELOW_SKIN_L).max(TEETH_MIN_L)
            && q[1] <= skin[1] * TEETH_REDNESS
        {
            teeth += 1;
        } else if q[0] < skin[0] * CAVITY_L {
            dark += 1;
        }
    }
    let cell = 1.0 / (100.0f32 * 100.0);
    MouthInside {
        teeth: teeth as f32 * cell,
        dark: dark as f32 * cell,
    }
}

/// Teeth in the shade of the lips stay within 20 L* of the cheeks; lips and
/// gums are redder than the skin, teeth at most half as red.
const TEETH_BELOW_SKIN_L: f32 = 20.0;
const TEETH_REDNESS: f32 = 0.5;
/// Enamel is light whatever the skin: under the light that exposes a face
/// it reads L* 35 and above even in the lips' shade. A floor of 40 already
/// lost some of a subtle smile's shaded teeth (its tooth area fell from
/// 0.0173 to 0.0152 mouth widths²); 35 keeps them. Against dark skin the
/// relative rule alone let the lips count as teeth once a heavily
/// compressed copy had flattened their red (a compliant Black man's closed
/// mouth refused at JPEG quality 35).
const TEETH_MIN_L: f32 = 35.0;
/// The cavity of an open mouth is in deep shadow: under half the skin's L*.
const CAVITY_L: f32 = 0.5;

#[cfg(test)]
mod tests {
    use super::inside;

    #[test]
    fn the_even_odd_rule_finds_the_inside_of_a_lip_outline() {
        let poly = [[0.0, 0.0], [10.0, -2.0], [20.0, 0.0], [10.0, 3.0]];
        assert!(inside(&poly, [10.0, 0.0]));
        assert!(!inside(&poly, [10.0, 4.0]));
        assert!(!inside(&poly, [-1.0, 0.0]));
    }
}
