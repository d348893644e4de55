//! Where everything goes on a sheet, in pixels at the sheet's resolution.

use crate::{Settings, SheetError};

/// An axis-aligned rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The sheet's geometry: its size, the photos' grid and the margin the number goes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub width: u32,
    pub height: u32,
    /// Each photo's place, row by row. Photos touch: one cut separates two, and a cut a
    /// little off shows a sliver of the same background, never white.
    pub photos: Vec<Rect>,
    /// The number's box in the wider margin, clear of the crop marks.
    pub label: Rect,
    /// Whether the number reads bottom to top (in a side margin) rather than across.
    pub label_vertical: bool,
    /// How far a crop mark reaches from the grid's edge towards the paper's (it starts
    /// [`Layout::mark_gap`] away from the grid so that no mark is cut into a photo).
    pub mark_length: u32,
    pub mark_gap: u32,
}

/// The number's glyphs: the 8 × 8 font at this many pixels per dot (16 px ≈ 1.4 mm at 300 dpi,
/// about 4 pt, legible and out of the way).
pub(crate) const GLYPH_SCALE: u32 = 2;
pub(crate) const GLYPH: u32 = 8 * GLYPH_SCALE;

impl Layout {
    pub fn compute(s: &Settings) -> Result<Self, SheetError> {
        let (long, short) = (
            s.paper_mm.0.max(s.paper_mm.1),
            s.paper_mm.0.min(s.paper_mm.1),
        );
        let (pw, ph) = s.photo_mm;
        let fits = |w: f64, h: f64| {
            let usable = |side: f64| side - 2.0 * s.min_margin_mm;
            (
                (usable(w) / pw).floor().max(0.0) as u32,
                (usable(h) / ph).floor().max(0.0) as u32,
            )
        };
        // Landscape first; portrait only when it holds more.
        let landscape = fits(long, short);
        let portrait = fits(short, long);
        let ((w_mm, h_mm), (cols, rows)) = if portrait.0 * portrait.1 > landscape.0 * landscape.1 {
            ((short, long), portrait)
        } else {
            ((long, short), landscape)
        };
        if cols * rows == 0 {
            return Err(SheetError::NothingFits(pw, ph));
        }
        let (width, height) = (s.px(w_mm), s.px(h_mm));
        let (cell_w, cell_h) = (s.px(pw), s.px(ph));
        let (x0, y0) = ((width - cols * cell_w) / 2, (height - rows * cell_h) / 2);
        let photos = (0..rows)
            .flat_map(|r| {
                (0..cols).map(move |c| Rect {
                    x: x0 + c * cell_w,
                    y: y0 + r * cell_h,
                    width: cell_w,
                    height: cell_h,
                })
            })
            .collect();
        let mark_gap = s.px(0.5);
        let edge = s.px(0.5);
        // Marks fill the narrower margin but for the gaps at both ends, 3 mm at most.
        let mark_length = x0.min(y0).saturating_sub(mark_gap + edge).min(s.px(3.0));
        // The number sits in the wider margin between the paper's edge and the marks.
        let text_len = |n: u32| n * GLYPH;
        let label_vertical = x0 >= y0;
        let (room, along) = if label_vertical {
            (x0, height)
        } else {
            (y0, width)
        };
        let free = room.saturating_sub(mark_gap + mark_length + edge);
        if free < GLYPH {
            return Err(SheetError::NothingFits(pw, ph));
        }
        let label = if label_vertical {
            Rect {
                x: edge + (free - GLYPH) / 2,
                y: y0,
                width: GLYPH,
                height: text_len(32).min(along - 2 * y0),
            }
        } else {
            Rect {
                x: x0,
                y: edge + (free - GLYPH) / 2,
                width: text_len(32).min(along - 2 * x0),
                height: GLYPH,
            }
        };
        Ok(Self {
            width,
            height,
            photos,
            label,
            label_vertical,
            mark_length,
            mark_gap,
        })
    }

    /// The grid's outer edges: left, top, right, bottom.
    pub fn grid(&self) -> (u32, u32, u32, u32) {
        let first = self.photos[0];
        let last = self.photos[self.photos.len() - 1];
        (first.x, first.y, last.x + last.width, last.y + last.height)
    }

    /// Every vertical and horizontal cut line: photo edges, shared ones once.
    pub fn cuts(&self) -> (Vec<u32>, Vec<u32>) {
        let mut xs: Vec<u32> = self
            .photos
            .iter()
            .flat_map(|p| [p.x, p.x + p.width])
            .collect();
        let mut ys: Vec<u32> = self
            .photos
            .iter()
            .flat_map(|p| [p.y, p.y + p.height])
            .collect();
        for v in [&mut xs, &mut ys] {
            v.sort_unstable();
            v.dedup();
        }
        (xs, ys)
    }
}
