//! The 学信网 image collection code (图像采集码) from its QR: students either paste the text or
//! upload a screenshot of the QR, which is decoded here in pure Rust.

use std::io::Cursor;

use image::{ImageReader, Limits};

/// A screenshot is a few megapixels; anything bigger is not a QR screenshot.
const MAX_SIDE: u32 = 4096;
const MAX_ALLOC: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("the image could not be read as JPEG or PNG")]
    Unreadable,
    #[error("no QR code was found in the image")]
    NotFound,
    #[error("the QR code could not be decoded")]
    Undecodable,
}

/// The text of the first QR code in a JPEG or PNG image.
pub fn decode(bytes: &[u8]) -> Result<String, QrError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| QrError::Unreadable)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let image = reader.decode().map_err(|_| QrError::Unreadable)?.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    let grid = grids.first().ok_or(QrError::NotFound)?;
    let (_, content) = grid.decode().map_err(|_| QrError::Undecodable)?;
    Ok(content)
}

/// The collection code in a QR's text: the text itself, or for a link the value of its `code`
/// (or `cjm`, 采集码) parameter, else its last path segment.
pub fn code_from_text(text: &str) -> &str {
    let text = text.trim();
    let Some((_, rest)) = text.split_once("://") else {
        return text;
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let from_query = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| matches!(*key, "code" | "cjm"))
        .map(|(_, value)| value);
    from_query
        .or_else(|| path.rsplit('/').find(|s| !s.is_empty()))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_out_of_plain_text_and_links() {
        assert_eq!(code_from_text(" 2026A1B2C3 \n"), "2026A1B2C3");
        assert_eq!(
            code_from_text("https://www.chsi.com.cn/xlcx/tx?cjm=ABC123&from=qr"),
            "ABC123"
        );
        assert_eq!(code_from_text("https://example.cn/c/XYZ789/"), "XYZ789");
    }

    #[test]
    fn what_is_not_a_picture_of_a_qr_is_refused() {
        assert_eq!(decode(b""), Err(QrError::Unreadable));
        assert_eq!(decode(b"GIF89a not really"), Err(QrError::Unreadable));
        let blank = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
        let mut png = Vec::new();
        blank
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(decode(&png), Err(QrError::NotFound));
    }
}
