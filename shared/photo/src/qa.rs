//! Output QA: the finished frame is measured before it is sent. Where no
//! part of the student can be (above the hair top, and the outer strips
//! beside the head above the eye line) every pixel must be the profile
//! colour; anything else there is something the matte failed to remove
//! (another person's shoulder, a lamp, a smear of the old background).

use domain::ReasonCode as R;
use image::RgbImage;

use crate::checks::passed;
use crate::place::{EYE_LINE, OUT_W, Placement};
use crate::raster::{delta_e, lab};
use crate::report::{Check, Status};

/// ΔE 3 is about the smallest colour difference a viewer notices side by
/// side: the standard's "uniform background".
const VISIBLE: f32 = 3.0;
/// The strips beside the head: a face at most 300 px wide, centred, with
/// its hair leaves 30 px free on each side above the eye line.
const STRIP: u32 = 30;
/// More than one stray pixel in a thousand of the region is a visible
/// blemish: the reviewer is told. Over one in a hundred it is an object (a
/// shoulder, a lamp) and the photo is refused. Between the two it is the
/// matte's own noise on hair, which flips under a mirror image: not the
/// student's fault, so never a refusal.
pub const MAX_STRAY: f32 = 0.001;
pub const OBJECT_STRAY: f32 = 0.01;

/// Share of the sure-background region that is not the profile colour.
pub fn stray_share(img: &RgbImage, bg: [u8; 3], p: &Placement) -> f32 {
    let bg = lab(bg.map(|c| c as f32));
    let top = (p.hair_top_px - 10.0).max(0.0) as u32;
    let (mut stray, mut n) = (0usize, 0usize);
    for (x, y, px) in img.enumerate_pixels() {
        let beside = y < EYE_LINE.0 as u32 && !(STRIP..OUT_W - STRIP).contains(&x);
        if y < top || beside {
            n += 1;
            if delta_e(lab(px.0.map(|c| c as f32)), bg) > VISIBLE {
                stray += 1;
            }
        }
    }
    stray as f32 / n.max(1) as f32
}

/// The check on a finished frame.
pub fn background_clean(img: &RgbImage, bg: [u8; 3], p: &Placement) -> Check {
    let share = stray_share(img, bg, p);
    let mut c = passed(
        "background_clean",
        R::BackgroundNotSeparable,
        Some(share),
        Some(MAX_STRAY),
        "share of the background region",
    );
    if share > OBJECT_STRAY {
        c.status = Status::Fail;
        c.threshold = Some(OBJECT_STRAY);
        c.note = Some(
            "something other than the student stays in the background after it was replaced".into(),
        );
    } else if share > MAX_STRAY {
        c.status = Status::Review;
        c.note = Some("stray pixels in the replaced background, e.g. around hair".into());
    }
    c
}
