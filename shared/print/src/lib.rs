//! Print sheets (冲印): one student's approved photo, as many times as fit, on a 6-inch (4R,
//! 152 × 102 mm) sheet at 300 dpi, with crop marks at every cut and the student number in small
//! type on the margin, as a JPEG or a PDF of the paper's size.
//!
//! A sheet is a pure function of the photo, the student number and the [`Settings`]: the same
//! input gives the same bytes, so a reprint is the same print and a batch can be checked by
//! its digests.

mod layout;
mod pdf;
mod raster;

use image::RgbImage;
use serde::{Deserialize, Serialize};

pub use layout::{Layout, Rect};

/// The sheet's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A 300 dpi JPEG, for photo kiosks and minilabs that print files as they come.
    #[default]
    Jpeg,
    /// One page of the paper's size holding that JPEG, for printers driven from a PC.
    Pdf,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Pdf => "application/pdf",
        }
    }
}

/// What a sheet is made of, in millimetres and dots per inch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The paper, long side first (either orientation is tried).
    pub paper_mm: (f64, f64),
    /// One printed photo, width × height.
    pub photo_mm: (f64, f64),
    pub dpi: u32,
    /// The smallest white margin around the photos: crop marks and the number live there, and
    /// most printers cannot print to the paper's very edge.
    pub min_margin_mm: f64,
    pub format: Format,
}

impl Settings {
    /// A 6-inch sheet of `width_mm` × `height_mm` photos (小二寸 is 33 × 48).
    pub fn four_r(width_mm: u16, height_mm: u16, format: Format) -> Self {
        Self {
            paper_mm: (152.0, 102.0),
            photo_mm: (f64::from(width_mm), f64::from(height_mm)),
            dpi: 300,
            min_margin_mm: 3.0,
            format,
        }
    }

    pub(crate) fn px(&self, mm: f64) -> u32 {
        (mm * f64::from(self.dpi) / 25.4).round() as u32
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("not one {0} × {1} mm photo fits on the paper with its margins")]
    NothingFits(f64, f64),
    #[error("the student number may hold letters, digits and '-' only, up to 32")]
    StudentNumber,
    #[error("encoding the sheet: {0}")]
    Encode(#[from] image::ImageError),
}

/// One finished sheet.
pub struct Sheet {
    pub bytes: Vec<u8>,
    pub layout: Layout,
}

/// Renders `photo` (the approved 480 × 640 photo, or any 3:4 one) on a sheet.
pub fn render(
    photo: &RgbImage,
    student_number: &str,
    settings: &Settings,
) -> Result<Sheet, SheetError> {
    // The number is printed in an ASCII bitmap font: anything else would vanish silently.
    if student_number.is_empty()
        || student_number.len() > 32
        || !student_number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(SheetError::StudentNumber);
    }
    let layout = Layout::compute(settings)?;
    let raster = raster::draw(photo, student_number, &layout);
    let jpeg = raster::encode(&raster, settings.dpi)?;
    let bytes = match settings.format {
        Format::Jpeg => jpeg,
        Format::Pdf => pdf::page(&jpeg, &layout, settings),
    };
    Ok(Sheet { bytes, layout })
}
