//! Step 5: where the head goes in the 480×640 frame. Only scale and
//! translation: the standard forbids rotating (or mirroring) the photo.

use domain::ReasonCode;
use serde::Serialize;

pub const OUT_W: u32 = 480;
pub const OUT_H: u32 = 640;

/// The standard's ranges, in output pixels from the top edge (教毕指〔2017〕99号).
pub const HAIR_TOP: (f32, f32) = (50.0, 110.0);
pub const EYE_LINE: (f32, f32) = (200.0, 300.0);
pub const FACE_WIDTH: (f32, f32) = (180.0, 300.0);
/// At most 1.5 output pixels per source pixel: beyond that the face looks
/// soft at 300 dpi, so the photo is refused rather than blown up.
pub const MAX_UPSCALE: f32 = 1.5;
/// The photo may end this many output pixels above the frame's bottom edge;
/// the clothes are continued down (edge rows repeated). 5% of the height is
/// shirt below the collar, where a repeated row cannot be seen.
pub const BOTTOM_SLACK: f32 = 32.0;

/// Where the head is in the (upright) source photo, in source pixels.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Head {
    pub hair_top: f32,
    pub eye_line: f32,
    pub face_width: f32,
    pub centre_x: f32,
    /// Height of the source photo: its bottom edge must reach the bottom of
    /// the frame (the shoulders may not float above a band of background).
    pub photo_height: f32,
}

/// Output = source × scale + offset.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Placement {
    pub scale: f32,
    pub offset: [f32; 2],
    pub hair_top_px: f32,
    pub eye_line_px: f32,
    pub face_width_px: f32,
}

fn mid((a, b): (f32, f32)) -> f32 {
    (a + b) / 2.0
}

fn half((a, b): (f32, f32)) -> f32 {
    (b - a) / 2.0
}

/// Choose the placement closest to the middle of every range, or say why none
/// exists. Tries scales across the range the face width allows; for each,
/// the vertical offset is the best one inside the interval that keeps hair
/// top, eye line and the photo's bottom edge where they must be.
pub fn solve(head: &Head) -> Result<Placement, ReasonCode> {
    let fw = head.face_width.max(1.0);
    let lo = FACE_WIDTH.0 / fw;
    let hi = (FACE_WIDTH.1 / fw).min(MAX_UPSCALE);
    if lo > MAX_UPSCALE {
        return Err(ReasonCode::FaceTooSmall);
    }
    let mut best: Option<(f32, Placement)> = None;
    let mut bottom_short = false;
    const STEPS: usize = 120;
    for k in 0..=STEPS {
        let s = lo + (hi - lo) * k as f32 / STEPS as f32;
        let (hair, eye) = (s * head.hair_top, s * head.eye_line);
        // Offsets allowed by each rule.
        let min_oy = (HAIR_TOP.0 - hair).max(EYE_LINE.0 - eye);
        let max_oy = (HAIR_TOP.1 - hair).min(EYE_LINE.1 - eye);
        let bottom_oy = OUT_H as f32 - BOTTOM_SLACK - s * head.photo_height;
        if min_oy > max_oy {
            continue;
        }
        if bottom_oy > max_oy {
            bottom_short = true;
            continue;
        }
        let min_oy = min_oy.max(bottom_oy);
        // Least-squares best offset for hair and eye, each weighted by the
        // half-width of its range, then clamped into the allowed interval.
        let (wh, we) = (1.0 / half(HAIR_TOP).powi(2), 1.0 / half(EYE_LINE).powi(2));
        let ideal = (wh * (mid(HAIR_TOP) - hair) + we * (mid(EYE_LINE) - eye)) / (wh + we);
        let oy = ideal.clamp(min_oy, max_oy);
        let cost = ((s * fw - mid(FACE_WIDTH)) / half(FACE_WIDTH)).powi(2)
            + ((hair + oy - mid(HAIR_TOP)) / half(HAIR_TOP)).powi(2)
            + ((eye + oy - mid(EYE_LINE)) / half(EYE_LINE)).powi(2);
        let p = Placement {
            scale: s,
            offset: [OUT_W as f32 / 2.0 - s * head.centre_x, oy],
            hair_top_px: hair + oy,
            eye_line_px: eye + oy,
            face_width_px: s * fw,
        };
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, p));
        }
    }
    match best {
        Some((_, p)) => Ok(p),
        // The head fits but the photo ends too high: not enough shoulders.
        None if bottom_short => Err(ReasonCode::FaceCutOff),
        // Hair top and eye line cannot both be placed at any allowed scale.
        None => Err(ReasonCode::FaceCutOff),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(face_width: f32) -> Head {
        // Proportions of an adult head: eye line about 0.75 face widths
        // below the hair top.
        Head {
            hair_top: 100.0,
            eye_line: 100.0 + 0.75 * face_width,
            face_width,
            centre_x: 500.0,
            photo_height: 2000.0,
        }
    }

    #[test]
    fn a_well_framed_head_lands_in_the_middle_of_every_range() {
        let p = solve(&head(400.0)).unwrap();
        assert!((p.face_width_px - 240.0).abs() < 10.0, "{p:?}");
        assert!(p.hair_top_px >= 50.0 && p.hair_top_px <= 110.0);
        assert!(p.eye_line_px >= 200.0 && p.eye_line_px <= 300.0);
        assert!(
            (p.offset[0] + p.scale * 500.0 - 240.0).abs() < 1e-3,
            "centred"
        );
    }

    #[test]
    fn a_face_that_would_need_more_than_1_5x_upscaling_is_too_small() {
        assert_eq!(solve(&head(100.0)).unwrap_err(), ReasonCode::FaceTooSmall);
        assert!(solve(&head(130.0)).is_ok(), "1.38× is allowed");
    }

    #[test]
    fn a_photo_ending_at_the_chin_is_cut_off() {
        let mut h = head(400.0);
        h.photo_height = h.eye_line + 200.0;
        assert_eq!(solve(&h).unwrap_err(), ReasonCode::FaceCutOff);
    }

    #[test]
    fn a_tight_crop_is_padded_not_refused() {
        // Hair top at the photo's top edge is fine: the top is padded.
        let mut h = head(400.0);
        h.hair_top = 2.0;
        h.eye_line = 2.0 + 300.0;
        assert!(solve(&h).is_ok());
    }
}
