//! Steps 4 (second half) to 6: render the output frame from the working copy, matte and
//! compose it on the profile colour, check the finished frame, encode what passed.

use image::RgbImage;

use super::Run;
use crate::encode;
use crate::error::PhotoError;
use crate::matte;
use crate::place::{self, OUT_H, OUT_W};
use crate::profile::Profile;
use crate::raster::{Frame, Pyramid};
use crate::report::{OutputInfo, Report, Status};
use crate::segment::PersonMask;

/// The finished frame, when no check so far refused the photo and it has a
/// placement; output QA is added to the run's checks.
pub(super) fn compose(
    pyr: &Pyramid,
    mask: &PersonMask,
    placement: Option<&place::Placement>,
    profile: &Profile,
    run: &mut Run,
) -> Option<RgbImage> {
    let refused = run.checks.iter().any(|c| c.status == Status::Fail);
    let p = placement.filter(|_| !refused)?;
    let (out, unfaithful) = render(pyr, mask, &output_frame(p), profile.background);
    run.lap("matte");
    run.checks
        .push(crate::qa::background_clean(&out, profile.background, p));
    run.checks.push(crate::qa::edge_faithful(unfaithful));
    Some(out)
}

/// Step 6: the JPEG of a frame whose report passed, recorded in the report.
pub(super) fn encode_passed(
    frame: Option<RgbImage>,
    report: &mut Report,
    profile: &Profile,
    run: &mut Run,
) -> Result<Option<Vec<u8>>, PhotoError> {
    let Some(out) = frame.filter(|_| report.passed) else {
        return Ok(None);
    };
    let enc = encode::encode(&out, profile.size_window)?;
    run.lap("encode");
    report.output = Some(OutputInfo {
        width: OUT_W,
        height: OUT_H,
        bytes: enc.jpeg.len(),
        quality: enc.quality,
        dpi: 300,
        background: profile.background,
        size_window: profile.size_window,
        size_in_window: enc.in_window,
    });
    Ok(Some(enc.jpeg))
}

/// The output frame in the working copy's pixels.
pub(super) fn output_frame(p: &place::Placement) -> Frame {
    let step = 1.0 / p.scale;
    Frame::axis(-p.offset[0] * step, -p.offset[1] * step, step)
}

/// Render the output frame from the working copy: scale and translate,
/// refine the matte at output resolution, composite onto the profile colour;
/// with the share of the person's edge rendered unlike the photo
/// ([`crate::qa::edge_unfaithful_share`]).
fn render(pyr: &Pyramid, mask: &PersonMask, frame: &Frame, bg: [u8; 3]) -> (RgbImage, Option<f32>) {
    let frame = *frame;
    let bgf = bg.map(|c| c as f32);
    let rgb = pyr.sample(&frame, OUT_W, OUT_H, bgf);
    let (w, h) = (OUT_W as usize, OUT_H as usize);
    let (ww, wh) = (pyr.base().width() as f32, pyr.base().height() as f32);
    // The frame has no rotation (the standard forbids rotating the photo): a pixel centre's
    // x depends on its column only, its y on its row only.
    debug_assert!(frame.ux[1] == 0.0 && frame.vy[0] == 0.0, "{frame:?}");
    let xs: Vec<f32> = (0..w)
        .map(|u| frame.to_source(u as f32 + 0.5, 0.5)[0])
        .collect();
    let ys: Vec<f32> = (0..h)
        .map(|v| frame.to_source(0.5, v as f32 + 0.5)[1])
        .collect();
    let mut in_photo: Vec<bool> = ys
        .iter()
        .flat_map(|&y| {
            xs.iter()
                .map(move |&x| x >= 0.0 && y >= 0.0 && x < ww && y < wh)
        })
        .collect();
    let mut coarse: Vec<f32> = mask
        .at_each(&xs, &ys)
        .into_iter()
        .zip(&in_photo)
        .map(|(p, &inside)| if inside { p } else { 0.0 })
        .collect();
    let mut rgb = rgb;
    // Continue the clothes below a photo that ends up to BOTTOM_SLACK short
    // of the frame's bottom edge (the solver allows no more): the mean of
    // the last rows, smoothed along the row, so fabric texture does not
    // repeat into visible streaks.
    let last = (0..h)
        .rev()
        .find(|&v| frame.to_source(0.0, v as f32 + 1.0)[1] <= wh);
    if let Some(last) = last.filter(|&l| l + 1 < h && l >= 8) {
        let mut fill = vec![[0f32; 3]; w];
        for v in last - 7..=last {
            for (f, p) in fill.iter_mut().zip(&rgb[v * w..(v + 1) * w]) {
                (0..3).for_each(|c| f[c] += p[c] / 8.0);
            }
        }
        let smooth: [Vec<f32>; 3] = [0, 1, 2].map(|c| {
            let ch: Vec<f32> = fill.iter().map(|p| p[c]).collect();
            crate::raster::box_mean(&ch, w, 1, 12)
        });
        for v in last + 1..h {
            for u in 0..w {
                rgb[v * w + u] = [smooth[0][u], smooth[1][u], smooth[2][u]];
            }
            coarse.copy_within(last * w..(last + 1) * w, v * w);
            in_photo.copy_within(last * w..(last + 1) * w, v * w);
        }
    }
    let alpha = matte::refine(&rgb, &coarse, w, h);
    let out = matte::composite(&rgb, &in_photo, &alpha, w, h, bg);
    let unfaithful = crate::qa::edge_unfaithful_share(&rgb, &in_photo, &alpha, &out, bg);
    (out, unfaithful)
}
