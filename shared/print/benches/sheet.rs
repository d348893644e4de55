//! How long one print sheet takes, as the review function makes it: the approved 480 × 640
//! JPEG decoded, the sheet drawn and encoded (JPEG, and the PDF around it). The batch size of
//! the print route (20 sheets per request, inside the HTTP API's 30 s) rests on this. Run:
//!
//! ```text
//! cargo bench -p print --bench sheet
//! ```
//!
//! The photo is a real one (a test fixture of the photo engine, scaled to 480 × 640), so the
//! JPEG encoder sees a photo's detail, not a flat colour.

use std::hint::black_box;
use std::time::{Duration, Instant};

use image::imageops::FilterType;
use print::{Format, Settings};

const ROUNDS: usize = 40;
const PHOTO: &[u8] = include_bytes!("../../photo/tests/fixtures/pass_frontal_woman_02.jpg");

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let photo = image::load_from_memory(PHOTO)
        .expect("the fixture decodes")
        .resize_to_fill(480, 640, FilterType::Lanczos3)
        .to_rgb8();
    let mut approved = std::io::Cursor::new(Vec::new());
    photo
        .write_to(&mut approved, image::ImageFormat::Jpeg)
        .expect("encoded");
    let approved = approved.into_inner();
    for format in [Format::Jpeg, Format::Pdf] {
        let settings = Settings::four_r(33, 48, format);
        let mut samples = Vec::with_capacity(ROUNDS);
        let mut size = 0;
        for _ in 0..ROUNDS {
            let start = Instant::now();
            let decoded = image::load_from_memory(black_box(&approved))
                .expect("decodes")
                .to_rgb8();
            let sheet = print::render(&decoded, "2022110101", &settings).expect("a sheet");
            samples.push(start.elapsed());
            size = black_box(sheet.bytes).len();
        }
        let (p50, p95) = (
            percentile(&mut samples, 0.5),
            percentile(&mut samples, 0.95),
        );
        println!(
            "{format:?} sheet (decode + draw + encode), one thread: p50 {:.1} ms, p95 {:.1} ms, {} KB; 20 sheets ≈ {:.1} s",
            p50.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3,
            size / 1024,
            p95.as_secs_f64() * 20.0,
        );
    }
}
