//! The matting benchmark. Ground-truth cut-outs of plain-background portraits
//! (straight foreground colour and alpha, made once by
//! `tools/matting_truth.py` and checked by eye) are composited onto real busy
//! backgrounds at several scales and crops and saved as phone JPEGs. The
//! engine standardises each; the truth is the same cut-out over the profile
//! colour, rendered through exactly the frame the engine chose
//! ([`Sampling`]). Measured in the output: colour error (CIE ΔE76) in the
//! band where the true alpha is partial, stray non-background pixels where
//! it is zero, and the error on the solid person (the JPEG floor).

use image::{ImageBuffer, Rgb, RgbImage, Rgba, RgbaImage, imageops};

use crate::encode::jpeg;
use crate::engine::{Engine, Sampling};
use crate::place::{OUT_H, OUT_W};
use crate::profile::Profile;
use crate::raster::{box_mean, delta_e, lab};
use crate::report::{Report, Status};

/// A background pixel farther than this from the profile colour is a stray
/// (ΔE 10 is plainly visible on a flat field; JPEG noise stays near 1).
pub const STRAY_DELTA_E: f32 = 10.0;

/// One composite: which cut-out over which background, how large, and which
/// part of it the "phone" framed.
#[derive(Debug, Clone)]
pub struct Case {
    pub scale: f32,
    /// Share of the scaled cut-out's width cropped off on the left (the
    /// canvas keeps 85 % of the width) and of its height off the top.
    pub left: f32,
    pub top: f32,
}

/// The grid `idphoto matbench` runs per cut-out and background: a 675 px
/// cut-out at 1×, 1.6× and 2.4× (a face about 230–550 px wide), framed left,
/// centre and right, with and without headroom.
pub fn full_grid() -> Vec<Case> {
    let mut out = Vec::new();
    for scale in [1.0, 1.6, 2.4] {
        for (left, top) in [(0.075, 0.0), (0.0, 0.08), (0.15, 0.08)] {
            out.push(Case { scale, left, top });
        }
    }
    out
}

/// What one composite gave.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The failed checks when the engine refused the composite.
    pub refused: Vec<String>,
    /// Mean and 95th-percentile ΔE76 in the edge band (true alpha partial,
    /// widened by 2 px).
    pub edge_mean: f32,
    pub edge_p95: f32,
    pub edge_px: usize,
    /// Share of the true background (3 px clear of the person) farther than
    /// [`STRAY_DELTA_E`] from the profile colour, in ‰.
    pub stray_permille: f32,
    /// Mean ΔE76 on the solid person (3 px inside it).
    pub person_mean: f32,
}

/// Straight RGBA cut-out → premultiplied float image, so resizing mixes
/// colour only where there is some.
fn premultiplied(cut: &RgbaImage) -> ImageBuffer<Rgba<f32>, Vec<f32>> {
    ImageBuffer::from_fn(cut.width(), cut.height(), |x, y| {
        let [r, g, b, a] = cut.get_pixel(x, y).0.map(|c| c as f32 / 255.0);
        Rgba([r * a, g * a, b * a, a])
    })
}

/// The phone photo (cut-out over `bg`), its truth (over the profile colour)
/// and the true alpha as a grey image, all the canvas's size.
pub fn composite(
    cut: &RgbaImage,
    bg: &RgbImage,
    case: &Case,
    profile: [u8; 3],
) -> (RgbImage, RgbImage, RgbImage) {
    let side = (cut.width() as f32 * case.scale).round() as u32;
    let scaled = imageops::resize(
        &premultiplied(cut),
        side,
        side,
        imageops::FilterType::CatmullRom,
    );
    let (x0, y0) = (
        (case.left * side as f32).round() as u32,
        (case.top * side as f32).round() as u32,
    );
    let (w, h) = (((side as f32) * 0.85).round() as u32, side - y0);
    let cover = (w as f32 / bg.width() as f32).max(h as f32 / bg.height() as f32);
    let (bw, bh) = (
        (bg.width() as f32 * cover).ceil() as u32,
        (bg.height() as f32 * cover).ceil() as u32,
    );
    let bg = imageops::resize(bg, bw, bh, imageops::FilterType::CatmullRom);
    let (bx, by) = ((bw - w) / 2, (bh - h) / 2);
    let mut photo = RgbImage::new(w, h);
    let mut truth = RgbImage::new(w, h);
    let mut alpha = RgbImage::new(w, h);
    let pf = profile.map(|c| c as f32);
    for y in 0..h {
        for x in 0..w {
            let [r, g, b, a] = scaled.get_pixel(x + x0, y + y0).0;
            let a = a.clamp(0.0, 1.0);
            let fg = [r, g, b].map(|c| c.clamp(0.0, 1.0) * 255.0);
            let under = bg.get_pixel(x + bx, y + by).0.map(|c| c as f32);
            let mix =
                |b: [f32; 3]| Rgb([0, 1, 2].map(|c| (fg[c] + (1.0 - a) * b[c]).round() as u8));
            photo.put_pixel(x, y, mix(under));
            truth.put_pixel(x, y, mix(pf));
            alpha.put_pixel(x, y, Rgb([(a * 255.0).round() as u8; 3]));
        }
    }
    (photo, truth, alpha)
}

/// A phone saves its photos as JPEG at about this quality.
pub const PHONE_QUALITY: u8 = 92;

/// One composite through the engine, with what a contact sheet shows.
pub struct Run {
    pub measured: Measured,
    pub photo: RgbImage,
    pub output: Option<RgbImage>,
    pub report: Report,
}

/// Standardise the composite and compare the output with the truth.
pub fn run_case(
    engine: &Engine,
    profile: &Profile,
    cut: &RgbaImage,
    bg: &RgbImage,
    case: &Case,
) -> Result<Run, String> {
    let (photo, truth, alpha) = composite(cut, bg, case, profile.background);
    let outcome = engine
        .standardize(
            &jpeg(&photo, PHONE_QUALITY).map_err(|e| e.to_string())?,
            profile,
        )
        .map_err(|e| e.to_string())?;
    let refused: Vec<String> = outcome
        .report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.check.to_string())
        .collect();
    let (Some(jpeg), Some(sampling)) = (&outcome.jpeg, &outcome.sampling) else {
        let m = Measured {
            refused,
            edge_mean: f32::NAN,
            edge_p95: f32::NAN,
            edge_px: 0,
            stray_permille: f32::NAN,
            person_mean: f32::NAN,
        };
        return Ok(Run {
            measured: m,
            photo,
            output: None,
            report: outcome.report,
        });
    };
    let out = image::load_from_memory(jpeg)
        .map_err(|e| format!("reading our own output: {e}"))?
        .into_rgb8();
    let m = measure(&out, &truth, &alpha, sampling, profile.background);
    Ok(Run {
        measured: Measured { refused, ..m },
        photo,
        output: Some(out),
        report: outcome.report,
    })
}

/// Compare an output with the truth rendered through its frame.
fn measure(
    out: &RgbImage,
    truth: &RgbImage,
    alpha: &RgbImage,
    sampling: &Sampling,
    profile: [u8; 3],
) -> Measured {
    let (w, h) = (OUT_W as usize, OUT_H as usize);
    let pf = profile.map(|c| c as f32);
    let t = sampling.render(truth, pf);
    let a: Vec<f32> = sampling
        .render(alpha, [0.0; 3])
        .iter()
        .map(|p| p[0] / 255.0)
        .collect();
    // Output pixels wholly inside the upload (the engine may continue the
    // clothes below it; that is not matting).
    let white = RgbImage::from_pixel(truth.width(), truth.height(), Rgb([255; 3]));
    let inside: Vec<bool> = sampling
        .render(&white, [0.0; 3])
        .iter()
        .map(|p| p[0] > 254.0)
        .collect();
    let indicator = |f: &dyn Fn(f32) -> bool| -> Vec<f32> {
        a.iter().map(|&v| if f(v) { 1.0 } else { 0.0 }).collect()
    };
    let partial = box_mean(&indicator(&|v| v > 0.02 && v < 0.98), w, h, 2);
    let some = box_mean(&indicator(&|v| v > 0.0), w, h, 3);
    let not_solid = box_mean(&indicator(&|v| v < 1.0), w, h, 3);
    let (mut edge, mut person, mut bg, mut stray) = (Vec::new(), Vec::new(), 0usize, 0usize);
    let bg_lab = lab(pf);
    for (k, px) in out.pixels().enumerate() {
        if !inside[k] {
            continue;
        }
        let o = lab(px.0.map(|c| c as f32));
        if partial[k] > 0.0 {
            edge.push(delta_e(o, lab(t[k])));
        } else if some[k] == 0.0 {
            bg += 1;
            if delta_e(o, bg_lab) > STRAY_DELTA_E {
                stray += 1;
            }
        } else if not_solid[k] == 0.0 {
            person.push(delta_e(o, lab(t[k])));
        }
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    edge.sort_by(f32::total_cmp);
    Measured {
        refused: Vec::new(),
        edge_mean: mean(&edge),
        edge_p95: edge
            .get((edge.len() * 95 / 100).min(edge.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f32::NAN),
        edge_px: edge.len(),
        stray_permille: 1000.0 * stray as f32 / bg.max(1) as f32,
        person_mean: mean(&person),
    }
}

/// The benchmark over many composites, as `idphoto matbench` prints it.
#[derive(Debug, Default)]
pub struct Summary {
    pub cases: usize,
    pub refused: Vec<String>,
    /// Over the composites the engine made a photo of: the mean of their
    /// edge-band means, the worst edge-band p95, the mean and the worst stray
    /// share (‰), the mean error on the solid person.
    pub edge_mean: f32,
    pub edge_p95_max: f32,
    pub stray_mean: f32,
    pub stray_max: f32,
    pub person_mean: f32,
}

impl Summary {
    pub fn of(results: &[(String, Measured)]) -> Self {
        let made: Vec<&Measured> = results
            .iter()
            .map(|(_, m)| m)
            .filter(|m| m.refused.is_empty() && m.edge_mean.is_finite())
            .collect();
        let n = made.len().max(1) as f32;
        let sum = |f: fn(&Measured) -> f32| made.iter().map(|m| f(m)).sum::<f32>() / n;
        let max = |f: fn(&Measured) -> f32| made.iter().map(|m| f(m)).fold(0.0, f32::max);
        Self {
            cases: results.len(),
            refused: results
                .iter()
                .filter(|(_, m)| !m.refused.is_empty())
                .map(|(name, m)| format!("{name}: {}", m.refused.join(",")))
                .collect(),
            edge_mean: sum(|m| m.edge_mean),
            edge_p95_max: max(|m| m.edge_p95),
            stray_mean: sum(|m| m.stray_permille),
            stray_max: max(|m| m.stray_permille),
            person_mean: sum(|m| m.person_mean),
        }
    }

    pub fn render(&self) -> String {
        let mut s = format!(
            "{} composites, {} refused\nedge band ΔE76: mean {:.2}, worst p95 {:.2}\n\
             stray background pixels: mean {:.3} ‰, worst {:.3} ‰\nsolid person ΔE76 (JPEG floor): {:.2}\n",
            self.cases,
            self.refused.len(),
            self.edge_mean,
            self.edge_p95_max,
            self.stray_mean,
            self.stray_max,
            self.person_mean
        );
        for r in &self.refused {
            s += &format!("  refused {r}\n");
        }
        s
    }
}
