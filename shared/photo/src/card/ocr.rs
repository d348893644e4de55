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

/// The detector reads the card shrunk by this factor.
pub(crate) const DETECT_SCALE: u32 = 2;
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
/// The recogniser's input height; widths are multiples of 8 (one CTC step per 8 px).
const LINE_H: u32 = 48;
/// Narrower lines are padded to this width, as the recogniser was trained.
const MIN_LINE_W: u32 = 160;
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

/// Line widths are padded up to a multiple of this, and each padded width has its own plan:
/// tract runs a plan with a symbolic width about twenty times slower than a concrete one.
const WIDTH_STEP: u32 = 160;
/// Widths a card's lines need (labels and short values; the address and the number), built
/// with the reader; wider lines get their plan when first met.
const EAGER_WIDTHS: [u32; 3] = [160, 320, 480];

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
        let mut lines = Vec::with_capacity(boxes.len());
        for b in boxes.into_iter().filter(|b| wanted(b)) {
            let crop = imageops::crop_imm(card, b.left, b.top, b.width, b.height).to_image();
            let (text, confidence) = self.recognise(&crop)?;
            if text.trim().is_empty() {
                continue;
            }
            lines.push(TextLine {
                text,
                confidence,
                ..b
            });
        }
        timings.recognise_ms += ms(t);
        Ok(lines)
    }

    /// Text boxes: connected regions of the probability map, grown back to the line's size.
    /// The detector sees the card at half size (text 13–18 px tall, which DB finds well, at a
    /// quarter of the cost); the boxes are scaled back to the card.
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

    /// One line: height 48, width to scale (at least 320, zero-padded), BGR in [−1, 1];
    /// greedy CTC over the recogniser's steps.
    fn recognise(&self, line: &RgbImage) -> Result<(String, f32), PhotoError> {
        let (w, h) = line.dimensions();
        let scaled_w = ((LINE_H as f32 * w as f32 / h.max(1) as f32).ceil() as u32).clamp(8, 2400);
        let resized = imageops::resize(line, scaled_w, LINE_H, imageops::FilterType::Triangle);
        let padded_w = scaled_w.max(MIN_LINE_W).div_ceil(WIDTH_STEP) * WIDTH_STEP;
        let plane = (LINE_H * padded_w) as usize;
        let mut input = vec![0.0f32; 3 * plane];
        for (x, y, p) in resized.enumerate_pixels() {
            let i = (y * padded_w + x) as usize;
            for c in 0..3 {
                input[c * plane + i] = p.0[2 - c] as f32 / 127.5 - 1.0;
            }
        }
        let probabilities = self
            .recogniser(padded_w)?
            .run(input)?
            .into_iter()
            .next()
            .unwrap_or_default();
        let classes = self.chars.len() + 1;
        let mut text = String::new();
        let (mut sum, mut kept) = (0.0f32, 0u32);
        let mut previous = 0usize;
        for step in probabilities.chunks_exact(classes) {
            let (best, p) = step
                .iter()
                .copied()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, 0.0));
            if best != 0 && best != previous {
                let read = match self.simplified.get(&best) {
                    Some(&s) if step[s] >= SIMPLIFIED_EVIDENCE => s,
                    _ => best,
                };
                text.push_str(&self.chars[read - 1]);
                sum += p;
                kept += 1;
            }
            previous = best;
        }
        let confidence = if kept == 0 { 0.0 } else { sum / kept as f32 };
        Ok((text, confidence))
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
