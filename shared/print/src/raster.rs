//! Drawing the sheet: photos trimmed to the print's shape, crop marks, the number.

use font8x8::UnicodeFonts;
use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::{Rgb, RgbImage, imageops};

use crate::layout::{GLYPH_SCALE, Layout};

const WHITE: Rgb<u8> = Rgb([255; 3]);
const INK: Rgb<u8> = Rgb([0; 3]);
/// Crop marks are hairlines: 2 px is 0.17 mm at 300 dpi.
const MARK_WIDTH: u32 = 2;
/// Prints are photos: keep JPEG artefacts far below what a 300 dpi print shows.
const QUALITY: u8 = 95;

pub(crate) fn draw(photo: &RgbImage, student_number: &str, layout: &Layout) -> RgbImage {
    let mut sheet = RgbImage::from_pixel(layout.width, layout.height, WHITE);
    let cell = layout.photos[0];
    let print = fit(photo, cell.width, cell.height);
    for p in &layout.photos {
        imageops::replace(&mut sheet, &print, i64::from(p.x), i64::from(p.y));
    }
    crop_marks(&mut sheet, layout);
    label(&mut sheet, student_number, layout);
    sheet
}

/// Scales `photo` to cover `w` × `h` and trims what overhangs evenly from both sides: a 3:4
/// photo printed at 33 × 48 loses a sliver of shoulder at each side, never any of the face.
fn fit(photo: &RgbImage, w: u32, h: u32) -> RgbImage {
    let (pw, ph) = photo.dimensions();
    // The source region with the print's shape, as large as the photo allows, centred.
    let (cw, ch) = if u64::from(pw) * u64::from(h) > u64::from(ph) * u64::from(w) {
        (
            ((f64::from(ph) * f64::from(w) / f64::from(h)).round() as u32).min(pw),
            ph,
        )
    } else {
        (
            pw,
            ((f64::from(pw) * f64::from(h) / f64::from(w)).round() as u32).min(ph),
        )
    };
    let region = imageops::crop_imm(photo, (pw - cw) / 2, (ph - ch) / 2, cw, ch).to_image();
    imageops::resize(&region, w, h, imageops::FilterType::Lanczos3)
}

fn fill(sheet: &mut RgbImage, x: u32, y: u32, w: u32, h: u32) {
    for yy in y..(y + h).min(sheet.height()) {
        for xx in x..(x + w).min(sheet.width()) {
            sheet.put_pixel(xx, yy, INK);
        }
    }
}

/// A short line outside the grid on every cut, on both sides, starting a little away from
/// the grid so that a mark is never printed on a photo.
fn crop_marks(sheet: &mut RgbImage, l: &Layout) {
    let (left, top, right, bottom) = l.grid();
    let (xs, ys) = l.cuts();
    let half = MARK_WIDTH / 2;
    for x in xs {
        let x = x.saturating_sub(half);
        fill(
            sheet,
            x,
            top - l.mark_gap - l.mark_length,
            MARK_WIDTH,
            l.mark_length,
        );
        fill(sheet, x, bottom + l.mark_gap, MARK_WIDTH, l.mark_length);
    }
    for y in ys {
        let y = y.saturating_sub(half);
        fill(
            sheet,
            left - l.mark_gap - l.mark_length,
            y,
            l.mark_length,
            MARK_WIDTH,
        );
        fill(sheet, right + l.mark_gap, y, l.mark_length, MARK_WIDTH);
    }
}

/// The student number in the 8 × 8 bitmap font: across the top margin, or up the left one.
fn label(sheet: &mut RgbImage, text: &str, l: &Layout) {
    let box_ = l.label;
    for (i, ch) in text.chars().enumerate() {
        let glyph = font8x8::BASIC_FONTS.get(ch).unwrap_or([0; 8]);
        let advance = i as u32 * 8 * GLYPH_SCALE;
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8u32 {
                if bits >> col & 1 == 0 {
                    continue;
                }
                let (dx, dy) = (col * GLYPH_SCALE, row as u32 * GLYPH_SCALE);
                // Read bottom to top: the glyph's columns go up, its rows go right.
                let (x, y) = if l.label_vertical {
                    (box_.x + dy, box_.y + box_.height - 1 - advance - dx)
                } else {
                    (box_.x + advance + dx, box_.y + dy)
                };
                if l.label_vertical {
                    fill(sheet, x, y + 1 - GLYPH_SCALE, GLYPH_SCALE, GLYPH_SCALE);
                } else {
                    fill(sheet, x, y, GLYPH_SCALE, GLYPH_SCALE);
                }
            }
        }
    }
}

pub(crate) fn encode(sheet: &RgbImage, dpi: u32) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut out, QUALITY);
    let dpi = u16::try_from(dpi).unwrap_or(u16::MAX);
    enc.set_pixel_density(PixelDensity::dpi(dpi));
    enc.encode_image(sheet)?;
    Ok(out)
}
