//! Step 6: JPEG at 300 dpi, at the lowest quality ≥ 60 whose file lands in
//! the profile's size window.

use image::RgbImage;
use image::codecs::jpeg::{JpegEncoder, PixelDensity};

use crate::error::PhotoError;

/// The standard's quality floor: below 60 blocking shows on faces.
pub const MIN_QUALITY: u8 = 60;
const MAX_QUALITY: u8 = 98;

pub struct Encoded {
    pub jpeg: Vec<u8>,
    pub quality: u8,
    /// False when no quality reaches the window (a very plain or very busy
    /// image): the closest file is kept and the report says so.
    pub in_window: bool,
}

pub fn jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut buf = Vec::with_capacity(48 * 1024);
    let mut enc = JpegEncoder::new_with_quality(&mut buf, quality);
    enc.set_pixel_density(PixelDensity::dpi(300));
    enc.encode_image(img)
        .map_err(|e| PhotoError::model("jpeg encoder", e))?;
    Ok(buf)
}

/// Size grows with quality, so the lowest quality in the window is the
/// lowest whose size reaches the window's floor: a binary search.
pub fn encode(img: &RgbImage, window: (usize, usize)) -> Result<Encoded, PhotoError> {
    let floor = jpeg(img, MIN_QUALITY)?;
    if floor.len() >= window.0 {
        let in_window = floor.len() <= window.1;
        return Ok(Encoded {
            jpeg: floor,
            quality: MIN_QUALITY,
            in_window,
        });
    }
    let (mut lo, mut hi) = (MIN_QUALITY, MAX_QUALITY);
    let mut best = jpeg(img, hi)?;
    if best.len() < window.0 {
        return Ok(Encoded {
            jpeg: best,
            quality: hi,
            in_window: false,
        });
    }
    // Invariant: size(lo) < floor ≤ size(hi).
    while hi - lo > 1 {
        let q = (lo + hi) / 2;
        let j = jpeg(img, q)?;
        if j.len() >= window.0 {
            hi = q;
            best = j;
        } else {
            lo = q;
        }
    }
    let in_window = best.len() <= window.1;
    Ok(Encoded {
        jpeg: best,
        quality: hi,
        in_window,
    })
}

/// The JFIF density of a JPEG, as (units, x, y), for tests and the eval.
pub fn jfif_density(jpeg: &[u8]) -> Option<(u8, u16, u16)> {
    let app0 = jpeg.windows(5).position(|w| w == b"JFIF\0")?;
    let d = &jpeg[app0 + 5..];
    (d.len() >= 7).then(|| {
        (
            d[2],
            u16::from_be_bytes([d[3], d[4]]),
            u16::from_be_bytes([d[5], d[6]]),
        )
    })
}

/// Estimate the quality of a baseline JPEG from its luminance quantisation
/// table (IJG scaling of the standard table), to re-check the floor on a
/// finished file.
pub fn estimated_quality(jpeg: &[u8]) -> Option<u8> {
    const STD: [u16; 64] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69,
        56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81,
        104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];
    let dqt = jpeg.windows(2).position(|w| w == [0xFF, 0xDB])?;
    let t = jpeg.get(dqt + 4..dqt + 5 + 64)?;
    if t[0] != 0 {
        return None;
    }
    // Table entries are in zig-zag order; the ratio is the same in any order,
    // so compare sums.
    let sum_t: u32 = t[1..65].iter().map(|&v| v as u32).sum();
    let sum_s: u32 = STD.iter().map(|&v| v as u32).sum();
    let scale = sum_t as f32 * 100.0 / sum_s as f32;
    let q = if scale <= 100.0 {
        (200.0 - scale) / 2.0
    } else {
        5000.0 / scale
    };
    Some(q.round().clamp(1.0, 100.0) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_declares_300_dpi_and_its_quality_can_be_read_back() {
        let img = RgbImage::from_fn(48, 64, |x, y| {
            image::Rgb([(x * 5) as u8, (y * 3) as u8, 128])
        });
        for q in [60u8, 75, 90] {
            let j = jpeg(&img, q).unwrap();
            assert_eq!(jfif_density(&j), Some((1, 300, 300)));
            let est = estimated_quality(&j).unwrap();
            assert!(
                (est as i32 - q as i32).abs() <= 1,
                "q {q} read back as {est}"
            );
        }
    }
}
