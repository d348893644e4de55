//! The sheet, measured: decoded from its bytes and its parts found by colour, in millimetres.

use image::{Rgb, RgbImage};
use print::{Format, Settings, SheetError, render};

const BLUE: Rgb<u8> = Rgb([100, 197, 255]);
const DPI: f64 = 300.0;

fn mm(px: f64) -> f64 {
    px * 25.4 / DPI
}

/// A 480 × 640 photo of the standard's blue with a dark square at its centre (to find and
/// count the copies) and red bands at its sides, which the 33 × 48 print must trim away.
fn photo() -> RgbImage {
    RgbImage::from_fn(480, 640, |x, y| {
        if !(12..468).contains(&x) {
            Rgb([255, 0, 0])
        } else if (220..260).contains(&x) && (300..340).contains(&y) {
            Rgb([0, 0, 0])
        } else {
            BLUE
        }
    })
}

fn decode(bytes: &[u8]) -> RgbImage {
    image::load_from_memory(bytes).unwrap().to_rgb8()
}

fn is_dark(p: &Rgb<u8>) -> bool {
    p.0.iter().all(|&c| c < 80)
}

fn is_blue(p: &Rgb<u8>) -> bool {
    p.0[2] > 200 && p.0[0] < 160 && p.0[1] > 150
}

/// The centres of the dark squares inside the photos' area.
fn markers(sheet: &RgbImage, grid: (u32, u32, u32, u32)) -> Vec<(f64, f64)> {
    let (l, t, r, b) = grid;
    let mut seen = vec![false; (sheet.width() * sheet.height()) as usize];
    let mut centres = Vec::new();
    for y in t..b {
        for x in l..r {
            let i = (y * sheet.width() + x) as usize;
            if seen[i] || !is_dark(sheet.get_pixel(x, y)) {
                continue;
            }
            let (mut stack, mut sum, mut n) = (vec![(x, y)], (0.0, 0.0), 0.0);
            seen[i] = true;
            while let Some((px, py)) = stack.pop() {
                sum = (sum.0 + f64::from(px), sum.1 + f64::from(py));
                n += 1.0;
                for (nx, ny) in [(px + 1, py), (px - 1, py), (px, py + 1), (px, py - 1)] {
                    let j = (ny * sheet.width() + nx) as usize;
                    if nx >= l
                        && nx < r
                        && ny >= t
                        && ny < b
                        && !seen[j]
                        && is_dark(sheet.get_pixel(nx, ny))
                    {
                        seen[j] = true;
                        stack.push((nx, ny));
                    }
                }
            }
            centres.push((sum.0 / n, sum.1 / n));
        }
    }
    centres
}

#[test]
fn a_six_inch_sheet_holds_eight_33_by_48_photos_measured_on_the_rendered_jpeg() {
    let settings = Settings::four_r(33, 48, Format::Jpeg);
    let sheet = render(&photo(), "202612345678", &settings).unwrap();
    let img = decode(&sheet.bytes);
    // 152 × 102 mm at 300 dpi.
    assert!(
        (mm(f64::from(img.width())) - 152.0).abs() < 0.1,
        "{}",
        img.width()
    );
    assert!(
        (mm(f64::from(img.height())) - 102.0).abs() < 0.1,
        "{}",
        img.height()
    );
    // The JFIF header says 300 dpi, so a print shop's software prints it at size.
    let jfif = sheet.bytes.windows(5).position(|w| w == b"JFIF\0").unwrap();
    assert_eq!(&sheet.bytes[jfif + 7..jfif + 12], &[1, 1, 44, 1, 44]);

    // The photos: a blue area of 4 × 33 by 2 × 48 mm, centred, in eight copies 33 and 48 mm
    // apart.
    let (mut l, mut t, mut r, mut b) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in img.enumerate_pixels() {
        if is_blue(p) {
            (l, t, r, b) = (l.min(x), t.min(y), r.max(x + 1), b.max(y + 1));
        }
    }
    let (w, h) = (mm(f64::from(r - l)), mm(f64::from(b - t)));
    assert!(
        (w - 132.0).abs() < 0.25 && (h - 96.0).abs() < 0.25,
        "{w} × {h} mm"
    );
    assert!(
        (mm(f64::from(l)) - mm(f64::from(img.width() - r))).abs() < 0.2,
        "centred across"
    );
    assert!(
        (mm(f64::from(t)) - mm(f64::from(img.height() - b))).abs() < 0.2,
        "centred down"
    );
    let mut centres = markers(&img, (l, t, r, b));
    assert_eq!(centres.len(), 8, "{centres:?}");
    centres.sort_by_key(|c| (c.1 as u32, c.0 as u32));
    for pair in centres[..4].windows(2) {
        assert!((mm(pair[1].0 - pair[0].0) - 33.0).abs() < 0.15, "{pair:?}");
    }
    assert!((mm(centres[4].1 - centres[0].1) - 48.0).abs() < 0.15);
    // The red bands at the photo's sides were trimmed, not printed.
    let red = img
        .pixels()
        .filter(|p| p.0[0] > 200 && p.0[1] < 90 && p.0[2] < 90)
        .count();
    assert_eq!(red, 0, "the trim left {red} red pixels");

    // Crop marks: dark in the top and bottom margins exactly above and below each of the five
    // vertical cuts, and beside each of the three horizontal ones; not on the photos.
    let column_dark =
        |x: u32, y0: u32, y1: u32| (y0..y1).filter(|&y| is_dark(img.get_pixel(x, y))).count();
    let row_dark =
        |y: u32, x0: u32, x1: u32| (x0..x1).filter(|&x| is_dark(img.get_pixel(x, y))).count();
    let (_, ys) = sheet.layout.cuts();
    for i in 0..=4 {
        let x = l + ((r - l) * i / 4).min(r - l - 1);
        let (above, below) = (column_dark(x, 0, t), column_dark(x, b, img.height()));
        assert!(
            above >= 15 && below >= 15,
            "cut {i} at x={x}: {above}/{below} px of mark"
        );
    }
    assert_eq!(ys.len(), 3);
    for &y in &ys {
        let y = y.min(b - 1);
        assert!(row_dark(y, r, img.width()) >= 15, "right mark at y={y}");
        // The left margin holds the marks and, further out, the number.
        assert!(row_dark(y, l - 40, l) >= 15, "left mark at y={y}");
    }
    let between = column_dark(l + 195, 0, t);
    assert_eq!(between, 0, "a mark where there is no cut");
}

#[test]
fn the_student_number_is_printed_in_the_margin_and_only_there() {
    let settings = Settings::four_r(33, 48, Format::Jpeg);
    let a = render(&photo(), "2026001", &settings).unwrap();
    let b = render(&photo(), "2026002", &settings).unwrap();
    let (ia, ib) = (decode(&a.bytes), decode(&b.bytes));
    let label = a.layout.label;
    let (grid_left, ..) = a.layout.grid();
    let mut differ = Vec::new();
    for (x, y, p) in ia.enumerate_pixels() {
        let q = ib.get_pixel(x, y);
        if p.0.iter().zip(q.0).any(|(a, b)| a.abs_diff(b) > 60) {
            differ.push((x, y));
        }
    }
    assert!(!differ.is_empty(), "the number is not on the sheet");
    assert!(
        differ
            .iter()
            .all(|&(x, y)| x < grid_left && x >= label.x.saturating_sub(8) && y >= label.y),
        "the number strays from its margin: {:?}",
        differ.iter().find(|&&(x, _)| x >= grid_left)
    );
    // Small type: about 1.4 mm high (the glyphs' extent across the margin).
    let (min_x, max_x) = differ
        .iter()
        .fold((u32::MAX, 0), |(a, b), &(x, _)| (a.min(x), b.max(x)));
    let height = mm(f64::from(max_x - min_x + 1));
    assert!((0.8..=1.8).contains(&height), "{height} mm type");
}

#[test]
fn the_same_photo_and_settings_give_the_same_bytes_as_jpeg_and_as_pdf() {
    let jpeg = Settings::four_r(33, 48, Format::Jpeg);
    let pdf = Settings::four_r(33, 48, Format::Pdf);
    let first = render(&photo(), "2026001", &jpeg).unwrap().bytes;
    assert_eq!(first, render(&photo(), "2026001", &jpeg).unwrap().bytes);
    let doc = render(&photo(), "2026001", &pdf).unwrap().bytes;
    assert_eq!(doc, render(&photo(), "2026001", &pdf).unwrap().bytes);
    // The PDF is one page of 152 × 102 mm holding exactly the JPEG's bytes.
    assert!(doc.starts_with(b"%PDF-"));
    assert!(doc.windows(first.len()).any(|w| w == first.as_slice()));
    let text = String::from_utf8_lossy(&doc);
    let media = text.split("/MediaBox [").nth(1).unwrap();
    let numbers: Vec<f64> = media
        .split(']')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let to_mm = |pt: f64| pt * 25.4 / 72.0;
    assert!(
        (to_mm(numbers[2]) - 152.0).abs() < 0.1 && (to_mm(numbers[3]) - 102.0).abs() < 0.1,
        "{numbers:?}"
    );
    assert!(text.contains("/DCTDecode") && text.contains("/Count 1"));
    assert!(
        !text.contains("/CreationDate"),
        "a date would make each render differ"
    );
}

#[test]
fn other_sizes_fill_the_sheet_and_what_cannot_be_printed_is_refused() {
    // 1-inch photos (25 × 35): twelve on the sheet upright (3 × 4), two more than across.
    let one_inch = render(&photo(), "2026001", &Settings::four_r(25, 35, Format::Jpeg)).unwrap();
    assert_eq!(one_inch.layout.photos.len(), 12);
    assert!(one_inch.layout.height > one_inch.layout.width);
    let mut huge = Settings::four_r(33, 48, Format::Jpeg);
    huge.photo_mm = (110.0, 150.0);
    assert!(matches!(
        render(&photo(), "1", &huge),
        Err(SheetError::NothingFits(..))
    ));
    let settings = Settings::four_r(33, 48, Format::Jpeg);
    for bad in ["", "学号1", "2026 001", &"9".repeat(33)] {
        assert!(
            matches!(
                render(&photo(), bad, &settings),
                Err(SheetError::StudentNumber)
            ),
            "{bad:?}"
        );
    }
}
