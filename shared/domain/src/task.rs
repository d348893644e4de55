//! Collection tasks (采集任务): a school's paid collection session and the photo profile it asks for.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ValidationError;
use crate::ids::TaskId;

/// 采集场次编码: the 8-digit code a school's session is bound by. Students type it to link their
/// record, so it is validated strictly and kept as text (leading zeros matter).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SessionCode(String);

impl SessionCode {
    pub fn parse(code: &str) -> Result<Self, ValidationError> {
        let code = code.trim();
        if code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(ValidationError::new(
                "session_code",
                "must be exactly 8 digits",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SessionCode {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SessionCode> for String {
    fn from(code: SessionCode) -> Self {
        code.0
    }
}

/// 学历层次, as 学信网 records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EducationLevel {
    /// 专科
    Associate,
    /// 本科
    Bachelor,
    /// 硕士研究生
    Master,
    /// 博士研究生
    Doctor,
}

impl EducationLevel {
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Associate => "专科",
            Self::Bachelor => "本科",
            Self::Master => "硕士研究生",
            Self::Doctor => "博士研究生",
        }
    }
}

/// The background colours the standard allows (教毕指〔2017〕99号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Background {
    /// 浅蓝 RGB(100,197,255): what 学信网 asks for unless a school says otherwise.
    #[default]
    Blue,
    White,
    Grey,
}

impl Background {
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Self::Blue => [100, 197, 255],
            Self::White => [255, 255, 255],
            Self::Grey => [240, 240, 240],
        }
    }
}

/// What the standardised file must look like for one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoProfile {
    pub background: Background,
    /// The JPEG must land in this size window (normally 20–40 KB; some channels ask 30–60 KB).
    pub min_kb: u32,
    pub max_kb: u32,
}

impl Default for PhotoProfile {
    fn default() -> Self {
        Self {
            background: Background::Blue,
            min_kb: 20,
            max_kb: 40,
        }
    }
}

impl PhotoProfile {
    pub fn validate(&self) -> Result<(), ValidationError> {
        // Below ~10 KB a 480×640 JPEG cannot keep quality ≥ 60; above 200 KB nobody asks for it.
        if self.min_kb < 10 || self.max_kb > 200 || self.min_kb + 5 > self.max_kb {
            return Err(ValidationError::new(
                "profile",
                "size window must lie within 10–200 KB and be at least 5 KB wide",
            ));
        }
        Ok(())
    }
}

/// Printed photos (冲印) a task offers: one 6-inch sheet of the approved photo, mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintOffer {
    /// Added to the collection fee when the student orders prints with the payment.
    pub price_fen: u32,
    /// The printed photo's size in millimetres (小二寸 33×48 by default).
    #[serde(default = "PrintOffer::default_width")]
    pub width_mm: u16,
    #[serde(default = "PrintOffer::default_height")]
    pub height_mm: u16,
}

impl PrintOffer {
    fn default_width() -> u16 {
        33
    }

    fn default_height() -> u16 {
        48
    }

    pub fn validate(&self) -> Result<(), ValidationError> {
        if !(1..=100_000).contains(&self.price_fen) {
            return Err(ValidationError::new(
                "print.price_fen",
                "must be between 1 and 100000 fen",
            ));
        }
        // The photo is 3:4 and is printed trimmed at its sides to the print's shape: beyond
        // ±15 % of 3:4 the trim would reach the face, or the print would be stretched.
        let ratio = f64::from(self.width_mm) / f64::from(self.height_mm.max(1));
        if !(20..=60).contains(&self.width_mm) || !(0.64..=0.86).contains(&ratio) {
            return Err(ValidationError::new(
                "print.size",
                "must be 20–60 mm wide and within 15 % of the photo's 3:4 shape",
            ));
        }
        Ok(())
    }
}

/// A school's collection session (采集任务).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionTask {
    pub id: TaskId,
    pub session_code: SessionCode,
    pub school: String,
    pub education_level: EducationLevel,
    pub graduation_year: u16,
    /// Price of one collection in fen (分), as WeChat Pay counts money.
    pub fee_fen: u32,
    pub profile: PhotoProfile,
    /// Printed photos mailed to the student, if the school offers them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub print: Option<PrintOffer>,
    #[serde(with = "time::serde::rfc3339")]
    pub opens_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub closes_at: OffsetDateTime,
}

/// What an operator supplies to open a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub session_code: SessionCode,
    pub school: String,
    pub education_level: EducationLevel,
    pub graduation_year: u16,
    pub fee_fen: u32,
    pub profile: PhotoProfile,
    pub print: Option<PrintOffer>,
    pub opens_at: OffsetDateTime,
    pub closes_at: OffsetDateTime,
}

impl CollectionTask {
    pub fn create(new: NewTask) -> Result<Self, ValidationError> {
        let school = crate::text::required("school", &new.school, 100)?;
        if !(2000..=2100).contains(&new.graduation_year) {
            return Err(ValidationError::new(
                "graduation_year",
                "must be between 2000 and 2100",
            ));
        }
        // A free collection would skip the payment step the state machine is built around;
        // the cap (¥1,000) catches a fee typed in yuan×100 twice.
        if !(1..=100_000).contains(&new.fee_fen) {
            return Err(ValidationError::new(
                "fee_fen",
                "must be between 1 and 100000 fen",
            ));
        }
        new.profile.validate()?;
        if let Some(offer) = &new.print {
            offer.validate()?;
        }
        if new.closes_at <= new.opens_at {
            return Err(ValidationError::new("closes_at", "must be after opens_at"));
        }
        Ok(Self {
            id: TaskId::new(),
            session_code: new.session_code,
            school,
            education_level: new.education_level,
            graduation_year: new.graduation_year,
            fee_fen: new.fee_fen,
            profile: new.profile,
            print: new.print,
            opens_at: new.opens_at,
            closes_at: new.closes_at,
        })
    }

    /// Students may link, pay and upload only while the session is open.
    pub fn is_open(&self, now: OffsetDateTime) -> bool {
        self.session(now) == Session::Open
    }

    /// Where the session stands at `now`: it opens at `opens_at` and is closed from `closes_at`.
    pub fn session(&self, now: OffsetDateTime) -> Session {
        if now < self.opens_at {
            Session::NotYetOpen
        } else if now < self.closes_at {
            Session::Open
        } else {
            Session::Closed
        }
    }
}

/// A task's collection session at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Session {
    NotYetOpen,
    Open,
    Closed,
}

/// A bachelor's task of 华南理工大学 open from 2026-03-01 until `closes_at`, for the domain's
/// tests.
#[cfg(test)]
pub(crate) fn test_task(closes_at: OffsetDateTime) -> CollectionTask {
    CollectionTask::create(NewTask {
        session_code: SessionCode::parse("12345678").unwrap(),
        school: "华南理工大学".into(),
        education_level: EducationLevel::Bachelor,
        graduation_year: 2026,
        fee_fen: 3000,
        profile: PhotoProfile::default(),
        print: None,
        opens_at: time::macros::datetime!(2026-03-01 00:00 UTC),
        closes_at,
    })
    .unwrap()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_session_is_open_from_its_opening_up_to_but_not_at_its_close() {
        let task = test_task(datetime!(2026-04-01 00:00 UTC));
        let at = |t| task.session(t);
        assert_eq!(at(datetime!(2026-02-28 23:59:59 UTC)), Session::NotYetOpen);
        assert_eq!(at(datetime!(2026-03-01 00:00 UTC)), Session::Open);
        assert_eq!(at(datetime!(2026-03-31 23:59:59 UTC)), Session::Open);
        assert_eq!(at(datetime!(2026-04-01 00:00 UTC)), Session::Closed);
        assert!(!task.is_open(datetime!(2026-04-01 00:00 UTC)));
    }

    #[test]
    fn a_print_offer_has_a_price_and_a_size_near_the_photos_shape() {
        let offer = |price_fen, width_mm, height_mm| PrintOffer {
            price_fen,
            width_mm,
            height_mm,
        };
        assert!(offer(1500, 33, 48).validate().is_ok());
        assert!(offer(1500, 25, 35).validate().is_ok());
        assert_eq!(
            offer(0, 33, 48).validate().unwrap_err().field,
            "print.price_fen"
        );
        // A square or a landscape print would crop into the face or stretch it.
        assert_eq!(
            offer(1500, 40, 40).validate().unwrap_err().field,
            "print.size"
        );
        assert_eq!(
            offer(1500, 48, 33).validate().unwrap_err().field,
            "print.size"
        );
        assert_eq!(
            offer(1500, 10, 14).validate().unwrap_err().field,
            "print.size"
        );
    }
}
