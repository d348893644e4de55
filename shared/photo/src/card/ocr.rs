//! Text on the rectified card: PP-OCRv5's detector finds the lines, its recogniser reads each
//! (the recipe in `models/README.md`: BGR input, DB post-processing, greedy CTC). The card is
//! rectified before this runs, so lines are level and boxes are axis-aligned rectangles.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use image::{RgbImage, imageops};
use imageproc::region_labelling::{Connectivity, connected_components};

use crate::error::PhotoError;
use crate::models::{
    Model, ModelFile, OCR_DETECT, OCR_DICTIONARY, OCR_RECOGNISE, TRADITIONAL_TO_SIMPLIFIED,
};
use crate::raster::box_shrink;

use super::{CardTimings, ms};

/// The detector reads the card shrunk by this factor: its text is then 9–12 px tall, which DB
/// still finds whole (the recogniser reads each line from the full card). A third of the card
/// costs 26 ms against 55 at half, and read as many fields: on the 50 cards of the accuracy
/// test, names 49 and numbers 50 at both; on 50 harsher shots (card at 42–54 % of the frame,
/// blur 1.0–1.6 px, JPEG 55), names 43 and 41, numbers 50 and 50.
pub(crate) const DETECT_SCALE: u32 = 3;
/// The smallest print on the card (labels, 2.6 mm) is 26 px tall once flattened: a box half
/// that height is a speck of the security print, not text.
const MIN_TEXT_H: u32 = 13;
/// A pixel is text when the detector's probability is above this (the DB recipe's 0.3).
const TEXT_PROBABILITY: f32 = 0.3;
/// A box is kept when its mean probability reaches this (the recipe's box threshold).
const BOX_SCORE: f32 = 0.5;
/// Boxes grow by `area · UNCLIP / perimeter` on each side: the detector marks a shrunk core
/// of each line.
const UNCLIP: f32 = 1.6;
/// The recogniser's input height.
const LINE_H: u32 = 48;
/// Pixels per CTC step of the recogniser.
const STEP: u32 = 8;
/// Blank (zero) pixels between two lines of a strip: two steps, as a line is followed by
/// padding when read alone.
const GAP: u32 = 16;
/// The widest strip: a card's lines fit in one (about 1,500 px); a photo of something else
/// with many lines is read in several, each with a plan that exists.
const MAX_STRIP: u32 = 2560;
/// A traditional character read where its simplified form had at least this probability is
/// read as the simplified form: a mainland card prints simplified characters, and the
/// recogniser leans to some traditional forms. On the 50 synthetic cards: printed 杰 and 悦
/// were read 傑 and 悅 with the printed form at 0.0063–0.46; a printed 昇 (a standard
/// character of its own, which the table maps to 升) left 升 at 0.00003. The limit sits an
/// order of magnitude under the lowest misreading.
const SIMPLIFIED_EVIDENCE: f32 = 0.001;

/// A line of text and where it is on the card (pixels of the rectified card).
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub text: String,
    /// Mean probability of the characters read.
    pub confidence: f32,
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

impl TextLine {
    pub fn centre_y(&self) -> f32 {
        self.top as f32 + self.height as f32 / 2.0
    }

    pub fn right(&self) -> u32 {
        self.left + self.width
    }
}

/// Strip widths are padded up to a multiple of this, and each padded width has its own plan:
/// tract runs a plan with a symbolic width about twenty times slower than a concrete one.
const WIDTH_STEP: u32 = 320;
/// The widths a card's strip needs, built with the reader; others get their plan when first
/// met.
const EAGER_WIDTHS: [u32; 2] = [1600, 1920];

/// The detector and the recogniser, loaded once.
pub struct Ocr {
    detect: Model,
    /// A recogniser plan per padded line width.
    recognise: Mutex<HashMap<u32, Model>>,
    /// Class k (1-based) is `chars[k - 1]`; the class after the last line is a space.
    chars: Vec<String>,
    /// The class of a traditional character → the class of its one simplified form.
    simplified: HashMap<usize, usize>,
}

impl Ocr {
    pub fn load() -> Result<Self, PhotoError> {
        let dictionary = std::str::from_utf8(OCR_DICTIONARY.bytes)
            .map_err(|e| PhotoError::model(OCR_DICTIONARY.name, e))?;
        let mut chars: Vec<String> = dictionary.lines().map(str::to_owned).collect();
        chars.push(" ".into());
        let class: HashMap<&str, usize> = chars
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i + 1))
            .collect();
        let table = std::str::from_utf8(TRADITIONAL_TO_SIMPLIFIED.bytes)
            .map_err(|e| PhotoError::model(TRADITIONAL_TO_SIMPLIFIED.name, e))?;
        let simplified = table
            .lines()
            .filter_map(|line| {
                let (from, to) = line.split_once('\t')?;
                let mut forms = to.split(' ');
                let to = forms.next()?;
                // One simplified form, not the character itself (乾 stays 乾).
                (forms.next().is_none() && to != from)
                    .then(|| Some((*class.get(from)?, *class.get(to)?)))?
            })
            .collect();
        let mut plans = HashMap::new();
        for width in EAGER_WIDTHS {
            plans.insert(width, recogniser(width)?);
        }
        Ok(Self {
            detect: Model::load(&OCR_DETECT)?,
            recognise: Mutex::new(plans),
            chars,
            simplified,
        })
    }

    /// The recogniser plan for lines padded to `width`.
    fn recogniser(&self, width: u32) -> Result<Model, PhotoError> {
        let mut plans = self.recognise.lock().expect("recogniser plans");
        if let Some(plan) = plans.get(&width) {
            return Ok(plan.clone());
        }
        let plan = recogniser(width)?;
        plans.insert(width, plan.clone());
        Ok(plan)
    }

    /// The lines found on `card` that `wanted` keeps, read; top to bottom, left to right.
    /// The time each part takes is added to `timings`.
    pub fn read(
        &self,
        card: &RgbImage,
        wanted: impl Fn(&TextLine) -> bool,
        timings: &mut CardTimings,
    ) -> Result<Vec<TextLine>, PhotoError> {
        let t = Instant::now();
        let boxes = self.detect(card)?;
        timings.detect_ms += ms(t);
        let t = Instant::now();
        let boxes: Vec<TextLine> = boxes.into_iter().filter(|b| wanted(b)).collect();
        let crops: Vec<RgbImage> = boxes
            .iter()
            .map(|b| imageops::crop_imm(card, b.left, b.top, b.width, b.height).to_image())
            .collect();
        let mut read = Vec::with_capacity(crops.len());
        for strip in Strip::pack(&crops) {
            read.extend(self.recognise(&strip)?);
        }
        let lines = boxes
            .into_iter()
            .zip(read)
            .filter(|(_, (text, _))| !text.trim().is_empty())
            .map(|(b, (text, confidence))| TextLine {
                text,
                confidence,
                ..b
            })
            .collect();
        timings.recognise_ms += ms(t);
        Ok(lines)
    }

    /// Text boxes: connected regions of the probability map, grown back to the line's size.
    /// The detector sees the card shrunk by [`DETECT_SCALE`]; the boxes are scaled back to the
    /// card.
    fn detect(&self, card: &RgbImage) -> Result<Vec<TextLine>, PhotoError> {
        let [_, _, h, w] = OCR_DETECT.input;
        let (w, h) = (w as u32, h as u32);
        let small = box_shrink(card, DETECT_SCALE);
        // BGR, ImageNet mean and spread, in that order on the B, G, R planes (the recipe);
        // the margin up to the model's size is white, like the card.
        const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
        const STD: [f32; 3] = [0.229, 0.224, 0.225];
        let plane = (w * h) as usize;
        let mut input = vec![0.0f32; 3 * plane];
        for c in 0..3 {
            input[c * plane..(c + 1) * plane].fill((1.0 - MEAN[c]) / STD[c]);
        }
        for (x, y, p) in small.enumerate_pixels() {
            let i = (y * w + x) as usize;
            for c in 0..3 {
                let bgr = p.0[2 - c] as f32 / 255.0;
                input[c * plane + i] = (bgr - MEAN[c]) / STD[c];
            }
        }
        let probability = self
            .detect
            .run(input)?
            .into_iter()
            .next()
            .unwrap_or_default();
        let mask = image::GrayImage::from_fn(w, h, |x, y| {
            image::Luma([u8::from(
                probability[(y * w + x) as usize] > TEXT_PROBABILITY,
            )])
        });
        let labels = connected_components(&mask, Connectivity::Eight, image::Luma([0]));
        let mut regions: Vec<Region> = Vec::new();
        for (x, y, label) in labels.enumerate_pixels() {
            let label = label.0[0] as usize;
            if label == 0 {
                continue;
            }
            if regions.len() < label {
                regions.resize(label, Region::default());
            }
            regions[label - 1].add(x, y, probability[(y * w + x) as usize]);
        }
        let mut boxes: Vec<TextLine> = regions
            .iter()
            .filter(|r| r.count > 0 && r.score() >= BOX_SCORE)
            .filter_map(|r| r.unclipped(w, h))
            .map(|b| scaled_to(card, b))
            .filter(|b| b.height >= MIN_TEXT_H)
            .collect();
        // Reading order: rows (centres within half a line of the row's first box), each read
        // left to right.
        boxes.sort_by(|a, b| a.centre_y().total_cmp(&b.centre_y()));
        let mut rows: Vec<Vec<TextLine>> = Vec::new();
        for b in boxes {
            match rows.last_mut() {
                Some(row)
                    if (row[0].centre_y() - b.centre_y()).abs() <= row[0].height as f32 / 2.0 =>
                {
                    row.push(b)
                }
                _ => rows.push(vec![b]),
            }
        }
        let mut ordered = Vec::new();
        for mut row in rows {
            row.sort_by_key(|b| b.left);
            ordered.extend(row);
        }
        Ok(ordered)
    }

    /// The lines of one strip, each with the mean probability of its characters: BGR in
    /// [−1, 1], zero-padded to the plan's width; greedy CTC over the recogniser's steps, each
    /// step (8 px) read as part of the line it lies over.
    fn recognise(&self, strip: &Strip) -> Result<Vec<(String, f32)>, PhotoError> {
        let width = strip.plan_width();
        let plane = (LINE_H * width) as usize;
        let mut input = vec![0.0f32; 3 * plane];
        for (line, &start) in strip.lines.iter().zip(&strip.starts) {
            for (x, y, p) in line.enumerate_pixels() {
                let i = (y * width + start + x) as usize;
                for c in 0..3 {
                    input[c * plane + i] = p.0[2 - c] as f32 / 127.5 - 1.0;
                }
            }
        }
        let probabilities = self
            .recogniser(width)?
            .run(input)?
            .into_iter()
            .next()
            .unwrap_or_default();

        let classes = self.chars.len() + 1;
        let mut read = vec![(String::new(), 0.0f32, 0u32); strip.lines.len()];
        let mut previous = (usize::MAX, 0usize);
        for (t, step) in probabilities.chunks_exact(classes).enumerate() {
            let centre = t as u32 * STEP + STEP / 2;
            let line = strip
                .starts
                .partition_point(|&s| s <= centre)
                .saturating_sub(1);
            let (best, p) = step
                .iter()
                .copied()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, 0.0));
            // A character repeated across two lines is two characters.
            if best != 0 && previous != (line, best) {
                let class = match self.simplified.get(&best) {
                    Some(&s) if step[s] >= SIMPLIFIED_EVIDENCE => s,
                    _ => best,
                };
                let (text, sum, kept) = &mut read[line];
                text.push_str(&self.chars[class - 1]);
                *sum += p;
                *kept += 1;
            }
            previous = (line, best);
        }
        Ok(read
            .into_iter()
            .map(|(text, sum, kept)| {
                let confidence = if kept == 0 { 0.0 } else { sum / kept as f32 };
                (text, confidence)
            })
            .collect())
    }
}

/// Lines scaled to the recogniser's height and laid side by side, a gap between them, to be
/// read in one run. The recogniser's cost is its input's width (here about 0.077 ms per pixel
/// plus 4 ms per run), and a card's lines are short: read one by one, 8 of a card's 11 lines
/// were padded from under 110 px to 160, and reading took 235 ms.
struct Strip {
    lines: Vec<RgbImage>,
    /// Where each line begins: on a step's boundary, so no step straddles two lines.
    starts: Vec<u32>,
}

impl Strip {
    /// `crops` in order, in as few strips as fit [`MAX_STRIP`].
    fn pack(crops: &[RgbImage]) -> Vec<Strip> {
        let mut strips: Vec<Strip> = Vec::new();
        for crop in crops {
            let (w, h) = crop.dimensions();
            let scaled_w =
                ((LINE_H as f32 * w as f32 / h.max(1) as f32).ceil() as u32).clamp(STEP, MAX_STRIP);
            let line = imageops::resize(crop, scaled_w, LINE_H, imageops::FilterType::Triangle);
            match strips.last_mut() {
                Some(strip) if strip.next_start() + scaled_w <= MAX_STRIP => {
                    strip.starts.push(strip.next_start());
                    strip.lines.push(line);
                }
                _ => strips.push(Strip {
                    lines: vec![line],
                    starts: vec![0],
                }),
            }
        }
        strips
    }

    fn end(&self) -> u32 {
        match (self.starts.last(), self.lines.last()) {
            (Some(start), Some(line)) => start + line.width(),
            _ => 0,
        }
    }

    fn next_start(&self) -> u32 {
        (self.end() + GAP).div_ceil(STEP) * STEP
    }

    /// The plan's width: the strip's, rounded up to [`WIDTH_STEP`].
    fn plan_width(&self) -> u32 {
        self.end().max(1).div_ceil(WIDTH_STEP) * WIDTH_STEP
    }
}

/// A box found on the half-size card, on the card.
fn scaled_to(card: &RgbImage, b: TextLine) -> TextLine {
    let k = DETECT_SCALE;
    let left = (b.left * k).min(card.width() - 1);
    let top = (b.top * k).min(card.height() - 1);
    TextLine {
        left,
        top,
        width: (b.width * k).min(card.width() - left),
        height: (b.height * k).min(card.height() - top),
        ..b
    }
}

/// The recogniser compiled for lines `width` pixels wide.
fn recogniser(width: u32) -> Result<Model, PhotoError> {
    Model::load(&ModelFile {
        input: [1, 3, LINE_H as usize, width as usize],
        ..OCR_RECOGNISE
    })
}

/// One connected region of text probability.
#[derive(Debug, Clone, Default)]
struct Region {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
    count: u32,
    sum: f32,
}

impl Region {
    fn add(&mut self, x: u32, y: u32, p: f32) {
        if self.count == 0 {
            (self.x0, self.y0, self.x1, self.y1) = (x, y, x, y);
        }
        self.x0 = self.x0.min(x);
        self.y0 = self.y0.min(y);
        self.x1 = self.x1.max(x);
        self.y1 = self.y1.max(y);
        self.count += 1;
        self.sum += p;
    }

    fn score(&self) -> f32 {
        self.sum / self.count as f32
    }

    /// The region's box grown by the DB offset, clamped to the card; `None` when too thin.
    fn unclipped(&self, w: u32, h: u32) -> Option<TextLine> {
        let (bw, bh) = (
            (self.x1 - self.x0 + 1) as f32,
            (self.y1 - self.y0 + 1) as f32,
        );
        if bw.min(bh) < 3.0 {
            return None;
        }
        let d = bw * bh * UNCLIP / (2.0 * (bw + bh));
        let left = (self.x0 as f32 - d).max(0.0) as u32;
        let top = (self.y0 as f32 - d).max(0.0) as u32;
        let right = ((self.x1 as f32 + 1.0 + d).min(w as f32)) as u32;
        let bottom = ((self.y1 as f32 + 1.0 + d).min(h as f32)) as u32;
        (right - left >= 5 && bottom - top >= 5).then(|| TextLine {
            text: String::new(),
            confidence: self.score(),
            left,
            top,
            width: right - left,
            height: bottom - top,
        })
    }
}
