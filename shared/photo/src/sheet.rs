//! A contact sheet: each photo beside what the engine made of it, with the
//! verdict, the reasons and the review flags written under it, for a person
//! to look at. Numbers say whether the engine agrees with labels; only a
//! look says whether its photos are ones a student would be proud of.

use font8x8::UnicodeFonts;
use image::{Rgb, RgbImage, imageops};

use crate::place::{OUT_H, OUT_W};
use crate::report::Report;

/// One cell: the upload and the output, each at half the output's size.
const HALF_W: u32 = OUT_W / 2;
const HALF_H: u32 = OUT_H / 2;
const CELL_W: u32 = 2 * HALF_W + 8;
const TEXT_LINES: u32 = 4;
const LINE_H: u32 = 10;
const CELL_H: u32 = HALF_H + TEXT_LINES * LINE_H + 8;
const COLUMNS: u32 = 4;

/// What one cell shows.
pub struct Entry<'a> {
    pub name: &'a str,
    /// The upload, upright.
    pub input: &'a RgbImage,
    /// The standardised photo, when the engine made one.
    pub output: Option<&'a RgbImage>,
    pub report: &'a Report,
}

/// Lay the entries out four to a row.
pub fn render(entries: &[Entry]) -> RgbImage {
    let rows = (entries.len() as u32).div_ceil(COLUMNS).max(1);
    let mut sheet = RgbImage::from_pixel(COLUMNS * CELL_W, rows * CELL_H, Rgb([255; 3]));
    for (i, e) in entries.iter().enumerate() {
        let (x0, y0) = ((i as u32 % COLUMNS) * CELL_W, (i as u32 / COLUMNS) * CELL_H);
        let fitted = fit(e.input, HALF_W, HALF_H);
        let (dx, dy) = (
            (HALF_W - fitted.width()) / 2,
            (HALF_H - fitted.height()) / 2,
        );
        imageops::overlay(&mut sheet, &fitted, (x0 + dx) as i64, (y0 + dy) as i64);
        let ox = x0 + HALF_W + 4;
        match e.output {
            Some(out) => {
                let half = imageops::resize(out, HALF_W, HALF_H, imageops::FilterType::Triangle);
                imageops::overlay(&mut sheet, &half, ox as i64, y0 as i64);
            }
            None => fill(&mut sheet, ox, y0, HALF_W, HALF_H, Rgb([230, 230, 230])),
        }
        let r = e.report;
        let verdict = if r.passed { "PASS" } else { "REFUSED" };
        let colour = if !r.passed {
            Rgb([200, 0, 0])
        } else if r.review_flags.is_empty() {
            Rgb([0, 140, 0])
        } else {
            Rgb([200, 120, 0])
        };
        fill(&mut sheet, x0, y0 + HALF_H + 2, CELL_W - 8, 3, colour);
        let reasons: Vec<&str> = r.reasons.iter().map(|x| x.code.code()).collect();
        let flags: Vec<&str> = r.review_flags.iter().map(|f| f.check).collect();
        let lines = [
            e.name.to_string(),
            format!("{verdict} {}", reasons.join(" ")),
            format!("review: {}", flags.join(" ")),
        ];
        let mut y = y0 + HALF_H + 8;
        for line in lines
            .iter()
            .flat_map(|l| wrap(l, ((CELL_W - 8) / 8) as usize))
        {
            if y + 8 > y0 + CELL_H {
                break;
            }
            text(&mut sheet, x0, y, &line, Rgb([0; 3]));
            y += LINE_H;
        }
    }
    sheet
}

fn fit(img: &RgbImage, w: u32, h: u32) -> RgbImage {
    let k = (w as f32 / img.width() as f32).min(h as f32 / img.height() as f32);
    let (nw, nh) = (
        ((img.width() as f32 * k).round() as u32).clamp(1, w),
        ((img.height() as f32 * k).round() as u32).clamp(1, h),
    );
    imageops::resize(img, nw, nh, imageops::FilterType::Triangle)
}

fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, c: Rgb<u8>) {
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            img.put_pixel(xx, yy, c);
        }
    }
}

/// Split a line into pieces of at most `n` characters.
fn wrap(line: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}

/// Write `s` in the 8×8 bitmap font; characters it lacks are left blank.
fn text(img: &mut RgbImage, x: u32, y: u32, s: &str, c: Rgb<u8>) {
    for (i, ch) in s.chars().enumerate() {
        let Some(glyph) = font8x8::BASIC_FONTS.get(ch) else {
            continue;
        };
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8 {
                let (px, py) = (x + i as u32 * 8 + col, y + row as u32);
                if bits >> col & 1 == 1 && px < img.width() && py < img.height() {
                    img.put_pixel(px, py, c);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_drawn_in_the_bitmap_font() {
        let mut img = RgbImage::from_pixel(40, 10, Rgb([255; 3]));
        text(&mut img, 0, 0, "A", Rgb([0; 3]));
        let dark = img.pixels().filter(|p| p.0 == [0; 3]).count();
        // Nothing is drawn past the 8×8 cell.
        assert!(dark > 10, "{dark}");
        assert!((8..40).all(|x| (0..8).all(|y| img.get_pixel(x, y).0 == [255; 3])));
    }

    #[test]
    fn long_lines_wrap_at_the_cell_width() {
        assert_eq!(wrap("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrap("", 4), Vec::<String>::new());
    }
}
