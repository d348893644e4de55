//! Validation of free text that people type (names, schools, notes).

use crate::ValidationError;

/// Trims `value` and checks it is non-empty, at most `max_chars` characters and free of control
/// characters (which would corrupt CSV exports and WeChat messages).
pub fn required(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<String, ValidationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    optional(field, value, max_chars).map(|v| v.to_owned())
}

/// Like [`required`] but allows an empty value.
pub fn optional<'a>(
    field: &'static str,
    value: &'a str,
    max_chars: usize,
) -> Result<&'a str, ValidationError> {
    let value = value.trim();
    if value.chars().count() > max_chars {
        return Err(ValidationError::new(field, "is too long"));
    }
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value)
}
