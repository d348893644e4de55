//! Step 1 of DESIGN §5: decode a JPEG or PNG within limits, upright.
//!
//! Limits are checked before any pixel is decoded: the byte size first, then
//! the dimensions from the header, so a small file that claims a huge canvas
//! (a decompression bomb) costs no memory.

use std::io::Cursor;

use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::{DynamicImage, ImageDecoder, RgbImage};

use crate::error::PhotoError;

/// Upload limits. 15 MB holds any phone photo; 50 megapixels bounds decoded
/// memory to 150 MB of RGB.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    pub max_bytes: usize,
    pub max_pixels: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_bytes: 15 * 1024 * 1024,
            max_pixels: 50_000_000,
        }
    }
}

/// The decoded photo and what was done to get it upright.
pub struct Decoded {
    pub image: RgbImage,
    pub format: &'static str,
    /// The EXIF orientation value applied (1 = none).
    pub exif_orientation: u8,
}

enum Format {
    Jpeg,
    Png,
}

/// Identify the container by its magic bytes, not its name: students upload
/// HEIC from iPhones and WebP from WeChat with any extension.
fn sniff(bytes: &[u8]) -> Result<Format, PhotoError> {
    match bytes {
        [] => Err(PhotoError::CorruptImage("empty file".into())),
        [0xFF, 0xD8, 0xFF, ..] => Ok(Format::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Ok(Format::Png),
        [b'G', b'I', b'F', b'8', ..] => Err(PhotoError::UnsupportedFormat("GIF".into())),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Err(PhotoError::UnsupportedFormat("WebP".into())),
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => Err(PhotoError::UnsupportedFormat(
            "HEIF/HEIC or another ISO media file".into(),
        )),
        [b'B', b'M', ..] => Err(PhotoError::UnsupportedFormat("BMP".into())),
        [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => {
            Err(PhotoError::UnsupportedFormat("TIFF".into()))
        }
        _ => Err(PhotoError::UnsupportedFormat(
            "not a JPEG or PNG file".into(),
        )),
    }
}

fn corrupt(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Limits(l) => {
            PhotoError::CorruptImage(format!("over decoder limits: {l}"))
        }
        other => PhotoError::CorruptImage(other.to_string()),
    }
}

/// Decode `bytes` to upright 8-bit RGB. CMYK JPEGs are converted by the
/// decoder; 16-bit samples are reduced; transparency is flattened onto white,
/// as a browser would show it.
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Decoded, PhotoError> {
    if bytes.len() > limits.max_bytes {
        return Err(PhotoError::FileTooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let format = sniff(bytes)?;
    let (image, orientation, name) = match format {
        Format::Jpeg => {
            check_jpeg_complete(bytes)?;
            let mut d = JpegDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
            check_pixels(d.dimensions(), limits)?;
            d.set_limits(alloc_limits(limits)).map_err(corrupt)?;
            let o = d
                .orientation()
                .unwrap_or(image::metadata::Orientation::NoTransforms);
            (DynamicImage::from_decoder(d).map_err(corrupt)?, o, "jpeg")
        }
        Format::Png => {
            let mut d = PngDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
            check_pixels(d.dimensions(), limits)?;
            d.set_limits(alloc_limits(limits)).map_err(corrupt)?;
            let o = d
                .orientation()
                .unwrap_or(image::metadata::Orientation::NoTransforms);
            (DynamicImage::from_decoder(d).map_err(corrupt)?, o, "png")
        }
    };
    let mut image = image;
    image.apply_orientation(orientation);
    Ok(Decoded {
        image: flatten(image),
        format: name,
        exif_orientation: orientation.to_exif(),
    })
}

/// A JPEG cut short in transfer still decodes (the decoder greys out the
/// rest), so look for the end-of-image marker after the last scan.
fn check_jpeg_complete(bytes: &[u8]) -> Result<(), PhotoError> {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    let end = bytes.windows(2).rposition(|w| w == [0xFF, 0xD9]);
    match (last_scan, end) {
        (Some(s), Some(e)) if e > s => Ok(()),
        _ => Err(PhotoError::CorruptImage(
            "the JPEG ends before its image data does".into(),
        )),
    }
}

fn check_pixels((width, height): (u32, u32), limits: &DecodeLimits) -> Result<(), PhotoError> {
    if width == 0 || height == 0 {
        return Err(PhotoError::CorruptImage("zero-sized image".into()));
    }
    if width as u64 * height as u64 > limits.max_pixels {
        return Err(PhotoError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

fn alloc_limits(limits: &DecodeLimits) -> image::Limits {
    let mut l = image::Limits::default();
    // Room for 16-bit RGBA of the largest allowed canvas plus decoder scratch.
    l.max_alloc = Some(limits.max_pixels * 8 + (64 << 20));
    l
}

fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = p[3] as u32;
        for c in 0..3 {
            o[c] = ((p[c] as u32 * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ReasonCode;
    use image::{ImageEncoder, Rgba, RgbaImage};

    fn reason(bytes: &[u8]) -> Option<ReasonCode> {
        decode(bytes, &DecodeLimits::default())
            .err()
            .and_then(|e| e.reason())
    }

    fn png(img: &RgbaImage) -> Vec<u8> {
        let mut buf = Vec::new();
        image::codecs::png::PngEncoder::new(&mut buf)
            .write_image(
                img.as_raw(),
                img.width(),
                img.height(),
                image::ExtendedColorType::Rgba8,
            )
            .unwrap();
        buf
    }

    #[test]
    fn empty_and_foreign_files_are_refused_with_their_reason() {
        assert_eq!(reason(b""), Some(ReasonCode::CorruptImage));
        assert_eq!(
            reason(b"GIF89a\x01\x00\x01\x00"),
            Some(ReasonCode::UnsupportedFormat)
        );
        assert_eq!(
            reason(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ReasonCode::UnsupportedFormat)
        );
        assert_eq!(
            reason(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Some(ReasonCode::UnsupportedFormat)
        );
        assert_eq!(reason(b"hello, world"), Some(ReasonCode::UnsupportedFormat));
    }

    #[test]
    fn truncated_files_are_corrupt_not_a_panic() {
        let img = RgbaImage::from_pixel(64, 64, Rgba([10, 20, 30, 255]));
        let bytes = png(&img);
        for cut in [8, 20, 40, bytes.len() / 2, bytes.len() - 5] {
            assert_eq!(
                reason(&bytes[..cut]),
                Some(ReasonCode::CorruptImage),
                "cut at {cut}"
            );
        }
        assert_eq!(
            reason(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(ReasonCode::CorruptImage)
        );
    }

    #[test]
    fn oversized_files_are_refused_before_decoding() {
        let big = vec![0xFFu8; 15 * 1024 * 1024 + 1];
        assert_eq!(reason(&big), Some(ReasonCode::FileTooLarge));
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // A PNG header claiming 100 000 × 100 000 pixels: tiny file, 10 gigapixels.
        let img = RgbaImage::from_pixel(1, 1, Rgba([0, 0, 0, 255]));
        let mut bytes = png(&img);
        bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        // The IHDR CRC no longer matches; fix it so only the size is wrong.
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(reason(&bytes), Some(ReasonCode::FileTooLarge));
    }

    #[test]
    fn transparency_is_flattened_onto_white() {
        let img = RgbaImage::from_pixel(2, 2, Rgba([0, 0, 0, 0]));
        let d = decode(&png(&img), &DecodeLimits::default()).unwrap();
        assert_eq!(d.image.get_pixel(0, 0).0, [255, 255, 255]);
    }

    #[test]
    fn sixteen_bit_png_is_reduced_to_eight_bits() {
        let img = image::ImageBuffer::<image::Rgb<u16>, _>::from_pixel(
            3,
            3,
            image::Rgb([65535u16, 32768, 0]),
        );
        let mut buf = Vec::new();
        image::codecs::png::PngEncoder::new(&mut buf)
            .write_image(
                bytemuck_u16(img.as_raw()).as_slice(),
                3,
                3,
                image::ExtendedColorType::Rgb16,
            )
            .unwrap();
        let d = decode(&buf, &DecodeLimits::default()).unwrap();
        assert_eq!(d.image.get_pixel(1, 1).0, [255, 128, 0]);
    }

    /// PNG wants big-endian samples from `write_image`'s native-endian bytes.
    fn bytemuck_u16(v: &[u16]) -> Vec<u8> {
        v.iter().flat_map(|s| s.to_ne_bytes()).collect()
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
