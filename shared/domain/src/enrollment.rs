//! Roster rows (学籍名单): who may have a photo collected in a task.

use time::Date;

use crate::ValidationError;
use crate::id_number::IdNumber;
use crate::ids::TaskId;
use crate::student::VerifiedIdentity;
use crate::task::EducationLevel;
use crate::text;

/// One student on a task's roster. Holds personal data in plain text: the store encrypts
/// `name` and `id_number` before anything leaves the process.
///
/// Deliberately not `Serialize`: nothing may write it out in plain text by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub task_id: TaskId,
    /// 学号: unique within a task, so re-importing a roster updates rows instead of adding them.
    pub student_number: String,
    pub name: String,
    pub id_number: IdNumber,
    pub school: String,
    pub education_level: EducationLevel,
    pub major: String,
    /// 学信网图像采集码: the code on the student's CHSI collection QR, when the school has it.
    pub chsi_code: Option<String>,
}

impl std::fmt::Debug for Enrollment {
    // Never print the name or the full ID number, even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment")
            .field("task_id", &self.task_id)
            .field("student_number", &self.student_number)
            .field("name", &crate::id_number::mask_name(&self.name))
            .field("id_number", &self.id_number)
            .field("education_level", &self.education_level)
            .finish_non_exhaustive()
    }
}

/// The columns of one roster row, as typed by a school.
#[derive(Clone)]
pub struct RosterRow<'a> {
    pub student_number: &'a str,
    pub name: &'a str,
    pub id_number: &'a str,
    pub school: &'a str,
    pub education_level: EducationLevel,
    pub major: &'a str,
    pub chsi_code: &'a str,
}

impl std::fmt::Debug for RosterRow<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RosterRow")
            .field("student_number", &self.student_number)
            .field("name", &crate::id_number::mask_name(self.name))
            .finish_non_exhaustive()
    }
}

/// A 学信网 image collection code (图像采集码): letters, digits, `-` and `_`, at most 64. The
/// roster import and the link route check with this one rule, so every imported code can be
/// typed back in.
pub fn validate_chsi_code(code: &str) -> Result<(), ValidationError> {
    if code.is_empty()
        || code.len() > 64
        || !code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ValidationError::new(
            "chsi_code",
            "must be 1–64 letters, digits, '-' or '_'",
        ));
    }
    Ok(())
}

impl Enrollment {
    /// Whether this roster row is the verified student's own: the same name and the same ID
    /// number. A name alone is not enough (two students may share one, and the photo would then
    /// go on the other's diploma); nor is a code the student could have been shown.
    pub fn belongs_to(&self, identity: &VerifiedIdentity) -> bool {
        self.name == identity.name && self.id_number == identity.id_number
    }

    /// A roster row read on `today` (an ID number cannot carry a birth date after it).
    pub fn from_row(
        task_id: TaskId,
        row: &RosterRow<'_>,
        today: Date,
    ) -> Result<Self, ValidationError> {
        let student_number = text::required("student_number", row.student_number, 32)?;
        if !student_number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ValidationError::new(
                "student_number",
                "may contain only letters, digits and '-'",
            ));
        }
        let id_number = IdNumber::parse(row.id_number, today)
            .map_err(|e| ValidationError::new("id_number", e.to_string()))?;
        let chsi_code = row.chsi_code.trim();
        if !chsi_code.is_empty() {
            validate_chsi_code(chsi_code)?;
        }
        Ok(Self {
            task_id,
            student_number,
            name: person_name(row.name)?,
            id_number,
            school: text::required("school", row.school, 100)?,
            education_level: row.education_level,
            major: text::optional("major", row.major, 100)?.to_owned(),
            chsi_code: (!chsi_code.is_empty()).then(|| chsi_code.to_owned()),
        })
    }
}

/// A name as a roster gives it. One that starts as a spreadsheet formula would (`= + - @`) is
/// no one's name, and it would run in the manifest 学信网's agency opens in Excel.
fn person_name(name: &str) -> Result<String, ValidationError> {
    let name = text::required("name", name, 50)?;
    if name.starts_with(['=', '+', '-', '@']) {
        return Err(ValidationError::new(
            "name",
            "must not start with = + - or @",
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    const TODAY: Date = date!(2026 - 06 - 01);

    fn row(name: &str, id: &str) -> Enrollment {
        let row = RosterRow {
            student_number: "2022001",
            name,
            id_number: &IdNumber::complete(id).unwrap(),
            school: "华南理工大学",
            education_level: EducationLevel::Bachelor,
            major: "软件工程",
            chsi_code: "",
        };
        Enrollment::from_row(TaskId::new(), &row, TODAY).unwrap()
    }

    #[test]
    fn a_name_that_would_run_as_a_spreadsheet_formula_is_refused() {
        let id = IdNumber::complete("44010620040517123").unwrap();
        for name in ["=HYPERLINK(\"x\")", "+1", "-2", "@A1"] {
            let row = RosterRow {
                student_number: "2022001",
                name,
                id_number: &id,
                school: "华南理工大学",
                education_level: EducationLevel::Bachelor,
                major: "软件工程",
                chsi_code: "",
            };
            let err = Enrollment::from_row(TaskId::new(), &row, TODAY).unwrap_err();
            assert_eq!(err.field, "name", "{name}");
        }
        assert_eq!(row("欧阳娜娜", "44010620040517123").name, "欧阳娜娜");
    }

    fn verified(name: &str, id: &str) -> VerifiedIdentity {
        VerifiedIdentity {
            name: name.into(),
            id_number: IdNumber::parse(&IdNumber::complete(id).unwrap(), TODAY).unwrap(),
            verified_at: datetime!(2026-06-01 08:00 UTC),
        }
    }

    #[test]
    fn a_row_belongs_only_to_the_student_with_its_name_and_its_id_number() {
        let zhang = row("张三", "44010620040517123");
        assert!(zhang.belongs_to(&verified("张三", "44010620040517123")));
        // Another 张三 (a common name) is not this one.
        assert!(!zhang.belongs_to(&verified("张三", "11010520031109246")));
        assert!(!zhang.belongs_to(&verified("李四", "44010620040517123")));
    }
}
