//! Re-measure a finished file against the standard, independently of how it
//! was made: the acceptance test and `idphoto eval` use it on every output.

use image::RgbImage;

use crate::encode::{MIN_QUALITY, estimated_quality, jfif_density};
use crate::engine::Engine;
use crate::place::{EYE_LINE, FACE_WIDTH, HAIR_TOP, OUT_H, OUT_W};
use crate::profile::Profile;
use crate::raster::{delta_e, lab};

/// The standard's tolerance for "uniform background": ΔE 3 is about the
/// smallest colour difference a viewer notices side by side.
pub const BACKGROUND_MAX_DELTA_E: f32 = 3.0;

#[derive(Debug, Default)]
pub struct Verification {
    pub width: u32,
    pub height: u32,
    pub dpi: Option<(u8, u16, u16)>,
    pub quality: Option<u8>,
    pub bytes: usize,
    /// Largest ΔE from the profile colour over the background areas.
    pub background_delta_e: f32,
    pub hair_top: Option<f32>,
    pub eye_line: Option<f32>,
    pub face_width: Option<f32>,
    pub face_centre_offset: Option<f32>,
}

impl Verification {
    /// Every way the file misses the standard; empty when it complies.
    pub fn problems(&self, profile: &Profile) -> Vec<String> {
        let mut p = Vec::new();
        let within = |v: Option<f32>, (lo, hi): (f32, f32)| {
            v.is_some_and(|v| v >= lo - 2.0 && v <= hi + 2.0)
        };
        if (self.width, self.height) != (OUT_W, OUT_H) {
            p.push(format!("size {}×{}", self.width, self.height));
        }
        if self.dpi != Some((1, 300, 300)) {
            p.push(format!("density {:?}", self.dpi));
        }
        if self.quality.is_none_or(|q| q < MIN_QUALITY) {
            p.push(format!("quality {:?}", self.quality));
        }
        if self.bytes < profile.size_window.0 || self.bytes > profile.size_window.1 {
            p.push(format!(
                "{} bytes outside {:?}",
                self.bytes, profile.size_window
            ));
        }
        if self.background_delta_e > BACKGROUND_MAX_DELTA_E {
            p.push(format!("background ΔE {:.1}", self.background_delta_e));
        }
        // Re-detection on the output adds a few pixels of jitter: 2 px slack.
        if !within(self.hair_top, HAIR_TOP) {
            p.push(format!("hair top {:?}", self.hair_top));
        }
        if !within(self.eye_line, EYE_LINE) {
            p.push(format!("eye line {:?}", self.eye_line));
        }
        if !within(self.face_width, FACE_WIDTH) {
            p.push(format!("face width {:?}", self.face_width));
        }
        if self.face_centre_offset.is_none_or(|o| o.abs() > 12.0) {
            p.push(format!("face centre off by {:?}", self.face_centre_offset));
        }
        p
    }
}

pub fn verify(engine: &Engine, jpeg: &[u8], profile: &Profile) -> Verification {
    let mut v = Verification {
        bytes: jpeg.len(),
        dpi: jfif_density(jpeg),
        quality: estimated_quality(jpeg),
        ..Default::default()
    };
    let Ok(img) = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg) else {
        return v;
    };
    let img: RgbImage = img.into_rgb8();
    (v.width, v.height) = img.dimensions();
    let bg = lab(profile.background.map(|c| c as f32));
    let de = |x: u32, y: u32| delta_e(lab(img.get_pixel(x, y).0.map(|c| c as f32)), bg);
    // Away from the person: the band above the highest allowed hair top and
    // the outer strips beside the head (a face at most 300 px wide, centred,
    // with hair leaves 60 px free on each side above the shoulders).
    let mut worst = 0.0f32;
    for y in 0..(HAIR_TOP.0 as u32 - 10) {
        for x in (0..v.width).step_by(2) {
            worst = worst.max(de(x, y));
        }
    }
    for y in (0..EYE_LINE.0 as u32).step_by(2) {
        for x in (0..30).chain(v.width.saturating_sub(30)..v.width) {
            worst = worst.max(de(x, y));
        }
    }
    v.background_delta_e = worst;
    if let Ok(Some(mesh)) = engine.find_face(&img) {
        let fw = mesh.face_width();
        v.face_width = Some(fw);
        v.eye_line = Some(mesh.eye_line());
        let cx = mesh.centre_x();
        v.face_centre_offset = Some(cx - OUT_W as f32 / 2.0);
        // Hair top: first row where the central columns leave the background.
        v.hair_top = (0..v.height).map(|y| y as f32).find(|&y| {
            let hits = (0..9)
                .map(|k| cx + fw * (k as f32 / 8.0 - 0.5) * 0.5)
                .filter(|&x| x >= 0.0 && x < v.width as f32 && de(x as u32, y as u32) > 10.0)
                .count();
            hits >= 2
        });
    }
    v
}
