//! Errors of the engine. Problems with the student's file map to a
//! [`ReasonCode`] (the photo is refused, never retried); a model that fails to
//! load or run is the engine's own fault and has no reason code.

use domain::ReasonCode;

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("unsupported format: {0}")]
    UnsupportedFormat(String),
    #[error("corrupt image: {0}")]
    CorruptImage(String),
    #[error("file of {bytes} bytes is over the {limit}-byte limit")]
    FileTooLarge { bytes: usize, limit: usize },
    #[error("image of {width}×{height} pixels is over the {limit}-pixel limit")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("model {name}: {message}")]
    Model { name: &'static str, message: String },
}

impl PhotoError {
    /// The reason a student sees, or `None` for an engine fault.
    pub fn reason(&self) -> Option<ReasonCode> {
        match self {
            Self::UnsupportedFormat(_) => Some(ReasonCode::UnsupportedFormat),
            Self::CorruptImage(_) => Some(ReasonCode::CorruptImage),
            // A decompression bomb is refused for its size like a big file.
            Self::FileTooLarge { .. } | Self::TooManyPixels { .. } => {
                Some(ReasonCode::FileTooLarge)
            }
            Self::Model { .. } => None,
        }
    }

    pub(crate) fn model(name: &'static str, e: impl std::fmt::Display) -> Self {
        Self::Model {
            name,
            message: format!("{e:#}"),
        }
    }
}
