//! `manifest.csv`: one row per case, what the agency and 学信网 read beside the photos.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::archive::ArchiveError;

/// Excel reads a CSV without a byte-order mark in the local code page (GBK on Chinese
/// Windows) and garbles every name; with it, Excel reads UTF-8.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One case as listed in the manifest. The serde names are the CSV header, in column order.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRow {
    /// 图像采集码, when the student brought one.
    #[serde(rename = "图像采集码")]
    pub chsi_code: Option<String>,
    #[serde(rename = "姓名")]
    pub name: String,
    #[serde(rename = "身份证号(脱敏)")]
    pub masked_id: String,
    #[serde(rename = "学号")]
    pub student_number: String,
    #[serde(rename = "学校")]
    pub school: String,
    /// 学历层次, in Chinese (本科, 硕士研究生, …).
    #[serde(rename = "学历层次")]
    pub level: String,
    /// The photo's path inside the archive: `photos/<学号>.jpg`.
    #[serde(rename = "照片文件")]
    pub photo_file: String,
    /// Lowercase hex SHA-256 of the photo, so the receiver can check each file on its own.
    #[serde(rename = "SHA256")]
    pub sha256: String,
    #[serde(rename = "案件编号")]
    pub collection_id: String,
}

/// The name stays out of debug output, so a row in a log or a failed assertion leaks nothing.
impl fmt::Debug for ManifestRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManifestRow")
            .field("collection_id", &self.collection_id)
            .field("chsi_code", &self.chsi_code)
            .field("name", &"<redacted>")
            .field("masked_id", &self.masked_id)
            .field("student_number", &self.student_number)
            .field("school", &self.school)
            .field("level", &self.level)
            .field("photo_file", &self.photo_file)
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// Typed text (a name from a roster, a school an operator named) as a cell a spreadsheet
/// shows and never runs: one that would start a formula (`= + - @`, or a tab or carriage
/// return before one) gets a leading apostrophe, which Excel and WPS hide. Real names never
/// start so; rosters refuse them, and this holds for anything stored before.
pub(crate) fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The manifest as a file: BOM, header, one CRLF-terminated row per case.
pub(crate) fn write(rows: &[ManifestRow]) -> Result<Vec<u8>, ArchiveError> {
    let mut out = UTF8_BOM.to_vec();
    // CRLF as RFC 4180 and Excel have it.
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(&mut out);
    for row in rows {
        writer.serialize(row)?;
    }
    writer.flush().map_err(csv::Error::from)?;
    drop(writer);
    Ok(out)
}

/// Rows of a manifest file; the reader skips the BOM.
pub(crate) fn read(bytes: &[u8]) -> Result<Vec<ManifestRow>, ArchiveError> {
    csv::Reader::from_reader(bytes)
        .deserialize()
        .map(|row| row.map_err(ArchiveError::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_would_start_a_formula_is_made_inert() {
        for risky in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-1+1",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(inert(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["张三", "欧阳娜娜", "华南理工大学", "O'Neil"] {
            assert_eq!(inert(plain), plain);
        }
    }
}
