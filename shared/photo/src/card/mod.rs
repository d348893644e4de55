//! Reading the portrait side of a second-generation resident ID card (居民身份证人像面) from a
//! phone photo: find the card, flatten it, read its lines with PP-OCRv5, take the fields from
//! beside their labels, check the number's GB 11643 checksum and that the printed sex and birth
//! date agree with it, and describe the card's face as a portrait's. Every problem with the
//! photo is a [`CardProblem`] a student can act on; `Err` is the engine's own fault only.

mod fields;
mod locate;
pub mod ocr;
#[cfg(feature = "synth")]
pub mod synth;

use std::time::Instant;

pub use domain::CardProblem;
use domain::IdNumber;
use image::RgbImage;
use image::imageops;
use serde::Serialize;

pub use fields::{Field, Fields};
pub use locate::Quad;

use crate::descriptor::Descriptor;

/// The flattened card's size: 85.6 × 54.0 mm at about 10 px/mm (the recogniser reads lines
/// from it; the detector sees it at half size).
pub const CARD_W: u32 = 864;
pub const CARD_H: u32 = 544;
/// The part of the portrait side where the photo is printed (fractions of the card).
const FACE_REGION: [f32; 4] = [0.58, 0.05, 0.97, 0.85];
/// The address's lines (right of its label, between the birth row and the number's): not
/// needed, and the widest lines to read. The emblem side's words lie outside it.
const ADDRESS_REGION: [f32; 4] = [0.15, 0.47, 0.62, 0.80];

/// Whether a line is worth reading: anything but the address.
fn wanted(line: &ocr::TextLine) -> bool {
    let [x0, y0, x1, y1] = ADDRESS_REGION;
    let x = line.left as f32 / CARD_W as f32;
    let y = line.centre_y() / CARD_H as f32;
    !((x0..x1).contains(&x) && (y0..y1).contains(&y))
}

/// Which side of the card the photo shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardSide {
    Portrait,
    Emblem,
    Unknown,
}

/// What was read from a card photo.
#[derive(Debug, Clone, Serialize)]
pub struct CardReading {
    pub side: CardSide,
    /// The card's corners in the photo, clockwise from its top left.
    pub corners: Option<[(f32, f32); 4]>,
    pub fields: Fields,
    /// The card's face, described as a portrait's.
    #[serde(skip)]
    pub face: Option<Descriptor>,
    /// Why the card cannot serve, if it cannot.
    pub problem: Option<CardProblem>,
    pub timings: CardTimings,
}

/// Milliseconds per stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CardTimings {
    pub decode_ms: f64,
    pub locate_ms: f64,
    pub rectify_ms: f64,
    /// Both parts of the OCR, with the second orientation when the first read no number.
    pub ocr_ms: f64,
    pub detect_ms: f64,
    pub recognise_ms: f64,
    pub face_ms: f64,
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

impl CardReading {
    fn refused(problem: CardProblem, timings: CardTimings) -> Self {
        Self {
            side: CardSide::Unknown,
            corners: None,
            fields: Fields::default(),
            face: None,
            problem: Some(problem),
            timings,
        }
    }
}

/// Judges what was read: the first problem a student must fix, if any.
fn judge(fields: &Fields, face: bool) -> (CardSide, Option<CardProblem>) {
    if fields.emblem_side {
        return (CardSide::Emblem, Some(CardProblem::EmblemSide));
    }
    let (Some(_), Some(number)) = (&fields.name, &fields.id_number) else {
        return if fields.portrait_labels > 0 {
            (CardSide::Portrait, Some(CardProblem::FieldsUnread))
        } else {
            (CardSide::Unknown, Some(CardProblem::Unreadable))
        };
    };
    let Ok(id) = IdNumber::parse_stored(&number.value) else {
        return (CardSide::Portrait, Some(CardProblem::ChecksumFailed));
    };
    if !agrees(fields, &id) {
        return (CardSide::Portrait, Some(CardProblem::Inconsistent));
    }
    if !face {
        return (CardSide::Portrait, Some(CardProblem::NoFace));
    }
    (CardSide::Portrait, None)
}

/// The printed sex and birth date, where read, are the number's (digit 17 odd: male).
fn agrees(fields: &Fields, id: &IdNumber) -> bool {
    let digit17 = id.as_str().as_bytes()[16] - b'0';
    let sex = if digit17 % 2 == 1 { "男" } else { "女" };
    let birth = id.birth_date();
    let birth = format!(
        "{:04}-{:02}-{:02}",
        birth.year(),
        u8::from(birth.month()),
        birth.day()
    );
    fields.sex.as_ref().is_none_or(|f| f.value == sex)
        && fields.birth_date.as_ref().is_none_or(|f| f.value == birth)
}

/// A reading of the flattened card in one orientation.
struct Pass {
    fields: Fields,
    card: RgbImage,
}

impl crate::engine::Engine {
    /// Reads the portrait side of an ID card from a photo of it.
    pub fn read_id_card(&self, bytes: &[u8]) -> Result<CardReading, crate::error::PhotoError> {
        let mut timings = CardTimings::default();
        let t = Instant::now();
        let photo = match crate::decode::decode(bytes, &self.limits) {
            Ok(decoded) => decoded.image,
            Err(e) if e.reason().is_some() => {
                return Ok(CardReading::refused(CardProblem::NoCard, timings));
            }
            Err(e) => return Err(e),
        };
        timings.decode_ms = ms(t);
        let t = Instant::now();
        let quad = locate::find(&photo);
        timings.locate_ms = ms(t);
        let Some(quad) = quad else {
            return Ok(CardReading::refused(CardProblem::NoCard, timings));
        };
        let t = Instant::now();
        let Some(card) = locate::rectify(&photo, &quad) else {
            return Ok(CardReading::refused(CardProblem::NoCard, timings));
        };
        timings.rectify_ms = ms(t);
        let t = Instant::now();
        let ocr = self.ocr()?;
        // Upside down, the number is not found; the other way round is read then.
        let upright = Pass {
            fields: fields::read(&ocr.read(&card, wanted, &mut timings)?),
            card,
        };
        let pass = if upright.fields.id_number.is_some() || upright.fields.emblem_side {
            upright
        } else {
            let turned = imageops::rotate180(&upright.card);
            let other = Pass {
                fields: fields::read(&ocr.read(&turned, wanted, &mut timings)?),
                card: turned,
            };
            if other.fields.id_number.is_some() {
                other
            } else {
                upright
            }
        };
        timings.ocr_ms = ms(t);
        let t = Instant::now();
        let face = if pass.fields.emblem_side {
            None
        } else {
            self.card_face(&pass.card)?
        };
        timings.face_ms = ms(t);
        let (side, problem) = judge(&pass.fields, face.is_some());
        Ok(CardReading {
            side,
            corners: Some(quad.0),
            fields: pass.fields,
            face,
            problem,
            timings,
        })
    }

    /// The descriptor of the one face in the card's photo area.
    fn card_face(&self, card: &RgbImage) -> Result<Option<Descriptor>, crate::error::PhotoError> {
        let [x0, y0, x1, y1] = FACE_REGION;
        let (w, h) = (card.width() as f32, card.height() as f32);
        let region = imageops::crop_imm(
            card,
            (x0 * w) as u32,
            (y0 * h) as u32,
            ((x1 - x0) * w) as u32,
            ((y1 - y0) * h) as u32,
        )
        .to_image();
        self.describe_face(&region)
    }
}
