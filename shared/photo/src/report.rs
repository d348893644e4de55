//! Step 7: the report of every check. Its JSON schema is documented in
//! `REPORT.md` and is stable: clients key on `code` and `check`.

use domain::ReasonCode;
use serde::Serialize;

use crate::measure::Measurements;
use crate::place::Placement;

pub const SCHEMA: &str = "idphoto.report/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    /// Refused: the measurement is reliable and outside the standard.
    Fail,
    /// Possibly outside the standard, or not measurable on this photo (the
    /// note then says "not measured"); a reviewer decides.
    Review,
}

/// One rule of the standard and what was measured for it.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable name of the check, e.g. `eyes_open`.
    pub check: &'static str,
    /// The reason code given when it fails.
    pub code: ReasonCode,
    pub status: Status,
    pub measured: Option<f32>,
    /// The limit the measurement was compared with, as `comparison threshold`
    /// for a pass (e.g. `">="` and 0.15 for eye openness).
    pub threshold: Option<f32>,
    pub comparison: &'static str,
    pub unit: &'static str,
    /// Why, in a few words, when the status is not self-explanatory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    pub hint_zh: &'static str,
    pub hint_en: &'static str,
}

impl From<ReasonCode> for Reason {
    fn from(code: ReasonCode) -> Self {
        Self {
            code,
            title_zh: code.title_zh(),
            title_en: code.title_en(),
            hint_zh: code.hint_zh(),
            hint_en: code.hint_en(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewFlag {
    pub code: ReasonCode,
    pub check: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    pub bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<&'static str>,
    pub width: u32,
    pub height: u32,
    pub exif_orientation: u8,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputInfo {
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
    pub quality: u8,
    pub dpi: u16,
    pub background: [u8; 3],
    pub size_window: (usize, usize),
    pub size_in_window: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub passed: bool,
    pub reasons: Vec<Reason>,
    pub review_flags: Vec<ReviewFlag>,
    pub checks: Vec<Check>,
    pub input: InputInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measurements: Option<Measurements>,
    /// Where the eyes, mouth, ears and top of the head are on the upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regions: Option<crate::regions::Regions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputInfo>,
}

impl Report {
    /// Build from the checks: reasons are the failed checks' codes (once
    /// each, in the standard's order), flags the checks sent to review.
    pub fn new(checks: Vec<Check>, input: InputInfo) -> Self {
        let mut codes: Vec<ReasonCode> = checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.code)
            .collect();
        codes.sort();
        codes.dedup();
        let review_flags = checks
            .iter()
            .filter(|c| c.status == Status::Review)
            .map(|c| ReviewFlag {
                code: c.code,
                check: c.check,
                note: c.note.clone(),
            })
            .collect();
        Self {
            schema: SCHEMA,
            passed: codes.is_empty(),
            reasons: codes.into_iter().map(Reason::from).collect(),
            review_flags,
            checks,
            input,
            measurements: None,
            regions: None,
            placement: None,
            output: None,
        }
    }

    /// The check of that name, if the engine got as far as running it.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.check == name)
    }

    pub fn reason_codes(&self) -> Vec<ReasonCode> {
        self.reasons.iter().map(|r| r.code).collect()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report is plain data")
    }
}
