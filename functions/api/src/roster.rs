//! Roster files (学籍名单) as schools send them: CSV with a header row, in UTF-8 (with or
//! without a BOM) or GB18030 (what Excel writes on a Chinese Windows), headers in Chinese or
//! English. Every row is checked; all problems come back at once, by line, so the operator
//! fixes the file in one go.

use std::collections::HashMap;

use domain::{CollectionTask, EducationLevel, Enrollment, RosterRow};
use serde::Serialize;
use time::Date;

/// More rows than any school's graduating class; the HTTP body limit comes first anyway.
pub const MAX_ROWS: usize = 20_000;
/// Problems listed in one answer; the count says how many there were in all.
const MAX_REPORTED: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// The column's English name, or `row` for problems of the whole row.
    pub field: &'static str,
    pub problem: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum RosterError {
    /// The file as a whole is unusable (encoding, header).
    File(String),
    TooManyRows,
    Rows {
        errors: Vec<RowError>,
        total: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    StudentNumber,
    Name,
    IdNumber,
    School,
    EducationLevel,
    Major,
    ChsiCode,
}

impl Column {
    fn from_header(header: &str) -> Option<Self> {
        Some(match header.trim() {
            "学号" | "student_number" => Self::StudentNumber,
            "姓名" | "name" => Self::Name,
            "身份证号" | "身份证号码" | "id_number" => Self::IdNumber,
            "学校" | "school" => Self::School,
            "学历层次" | "层次" | "education_level" => Self::EducationLevel,
            "专业" | "major" => Self::Major,
            "图像采集码" | "学信网图像采集码" | "chsi_code" => Self::ChsiCode,
            _ => return None,
        })
    }

    fn field(self) -> &'static str {
        match self {
            Self::StudentNumber => "student_number",
            Self::Name => "name",
            Self::IdNumber => "id_number",
            Self::School => "school",
            Self::EducationLevel => "education_level",
            Self::Major => "major",
            Self::ChsiCode => "chsi_code",
        }
    }
}

const REQUIRED: [Column; 3] = [Column::StudentNumber, Column::Name, Column::IdNumber];

fn education_level(value: &str) -> Option<EducationLevel> {
    Some(match value.trim() {
        "专科" | "高职" | "associate" => EducationLevel::Associate,
        "本科" | "bachelor" => EducationLevel::Bachelor,
        "硕士" | "硕士研究生" | "master" => EducationLevel::Master,
        "博士" | "博士研究生" | "doctor" => EducationLevel::Doctor,
        _ => return None,
    })
}

/// The file as text: UTF-8 (a BOM is dropped) or else GB18030.
fn decode(bytes: &[u8]) -> Result<String, RosterError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
        .ok_or_else(|| RosterError::File("the file is neither UTF-8 nor GB18030 text".into()))
}

/// Parses and validates a roster for `task`, uploaded on `today` (China time). Either every row
/// is good and all come back, or nothing does and the problems are listed.
pub fn parse(
    task: &CollectionTask,
    bytes: &[u8],
    today: Date,
) -> Result<Vec<Enrollment>, RosterError> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| RosterError::File(format!("the header row is unreadable: {e}")))?
        .clone();
    let mut columns = HashMap::new();
    for (index, header) in headers.iter().enumerate() {
        let column = Column::from_header(header).ok_or_else(|| {
            RosterError::File(format!(
                "unknown column {header:?} in the header row (expected 学号, 姓名, 身份证号, 专业, 学校, 学历层次, 图像采集码)"
            ))
        })?;
        if columns.insert(column, index).is_some() {
            return Err(RosterError::File(format!(
                "column {header:?} appears twice"
            )));
        }
    }
    if let Some(missing) = REQUIRED.iter().find(|c| !columns.contains_key(c)) {
        return Err(RosterError::File(format!(
            "the header row has no {} column",
            missing.field()
        )));
    }

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut student_numbers: HashMap<String, u64> = HashMap::new();
    let mut chsi_codes: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        if rows.len() + errors.len() >= MAX_ROWS {
            return Err(RosterError::TooManyRows);
        }
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError {
                    line,
                    field: "row",
                    problem: "is not valid CSV".into(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != headers.len() {
            errors.push(RowError {
                line,
                field: "row",
                problem: format!(
                    "has {} fields, the header has {}",
                    record.len(),
                    headers.len()
                ),
            });
            continue;
        }
        let cell = |c: Column| columns.get(&c).and_then(|&i| record.get(i)).unwrap_or("");
        let level = match columns.get(&Column::EducationLevel).map(|&i| &record[i]) {
            None | Some("") => task.education_level,
            Some(value) => match education_level(value) {
                Some(level) => level,
                None => {
                    errors.push(RowError {
                        line,
                        field: "education_level",
                        problem: "must be 专科, 本科, 硕士研究生 or 博士研究生".into(),
                    });
                    continue;
                }
            },
        };
        let school = match cell(Column::School) {
            "" => task.school.as_str(),
            given => given,
        };
        let row = RosterRow {
            student_number: cell(Column::StudentNumber),
            name: cell(Column::Name),
            id_number: cell(Column::IdNumber),
            school,
            education_level: level,
            major: cell(Column::Major),
            chsi_code: cell(Column::ChsiCode),
        };
        let enrollment = match Enrollment::from_row(task.id, &row, today) {
            Ok(e) => e,
            Err(e) => {
                errors.push(RowError {
                    line,
                    field: e.field,
                    problem: e.problem,
                });
                continue;
            }
        };
        if let Some(first) = student_numbers.insert(enrollment.student_number.clone(), line) {
            errors.push(RowError {
                line,
                field: "student_number",
                problem: format!("repeats the student number of line {first}"),
            });
            continue;
        }
        if let Some(code) = &enrollment.chsi_code
            && let Some(first) = chsi_codes.insert(code.clone(), line)
        {
            errors.push(RowError {
                line,
                field: "chsi_code",
                problem: format!("repeats the collection code of line {first}"),
            });
            continue;
        }
        rows.push(enrollment);
    }
    if !errors.is_empty() {
        let total = errors.len();
        errors.truncate(MAX_REPORTED);
        return Err(RosterError::Rows { errors, total });
    }
    if rows.is_empty() {
        return Err(RosterError::File(
            "the file has no rows below the header".into(),
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{IdNumber, NewTask, PhotoProfile, SessionCode};
    use time::Duration;

    /// The day the rosters in these tests are uploaded.
    const TODAY: time::Date = time::macros::date!(2026 - 06 - 01);

    fn task() -> CollectionTask {
        let now = TODAY.midnight().assume_utc();
        CollectionTask::create(NewTask {
            session_code: SessionCode::parse("12345678").unwrap(),
            school: "华南理工大学".into(),
            education_level: EducationLevel::Bachelor,
            graduation_year: 2026,
            fee_fen: 3000,
            profile: PhotoProfile::default(),
            print: None,
            opens_at: now,
            closes_at: now + Duration::days(30),
        })
        .unwrap()
    }

    fn id(body: &str) -> String {
        IdNumber::complete(body).unwrap()
    }

    #[test]
    fn a_chinese_excel_export_in_gb18030_reads_like_utf8() {
        let text = format!(
            "学号,姓名,身份证号,专业\n2022001,张三,{},软件工程\n",
            id("44010620040517123")
        );
        let (gbk, _, lossy) = encoding_rs::GB18030.encode(&text);
        assert!(!lossy);
        assert!(std::str::from_utf8(&gbk).is_err(), "really not UTF-8");
        let task = task();
        let rows = parse(&task, &gbk, TODAY).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].name, "张三");
        assert_eq!(rows[0].major, "软件工程");
        assert_eq!(
            rows[0].school, "华南理工大学",
            "school defaults to the task's"
        );
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(parse(&task, &with_bom, TODAY).unwrap(), rows);
    }

    #[test]
    fn every_bad_row_is_reported_by_line_and_nothing_is_returned() {
        let good = id("44010620040517123");
        let text = format!(
            "student_number,name,id_number,education_level\n\
             2022001,张三,{good},本科\n\
             2022002,李四,{bad_check},本科\n\
             2022003,,{other},本科\n\
             2022001,王五,{third},本科\n\
             2022004,赵六,{fourth},小学\n\
             2022005,钱七\n",
            bad_check = {
                // The right check character, plus one: a typo a school would make.
                let good = id("11010520031109246");
                let last = good.as_bytes()[17];
                let wrong = if last == b'9' || last == b'X' {
                    '0'
                } else {
                    (last + 1) as char
                };
                format!("{}{wrong}", &good[..17])
            },
            other = id("11010520031109246"),
            third = id("31011520040229008"),
            fourth = id("11010519990101001"),
        );
        let Err(RosterError::Rows { errors, total }) = parse(&task(), text.as_bytes(), TODAY)
        else {
            panic!("expected row errors");
        };
        assert_eq!(total, 5);
        let found: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.field)).collect();
        assert_eq!(
            found,
            [
                (3, "id_number"),
                (4, "name"),
                (5, "student_number"),
                (6, "education_level"),
                (7, "row"),
            ]
        );
        assert!(errors[2].problem.contains("line 2"));
        for e in &errors {
            assert!(!e.problem.contains("4401"), "no ID number in a message");
        }
    }

    #[test]
    fn a_file_without_the_needed_columns_is_refused_as_a_whole() {
        assert!(matches!(
            parse(&task(), "学号,姓名\n1,张三\n".as_bytes(), TODAY),
            Err(RosterError::File(m)) if m.contains("id_number")
        ));
        assert!(matches!(
            parse(&task(), "学号,姓名,身份证号,年龄\n".as_bytes(), TODAY),
            Err(RosterError::File(m)) if m.contains("年龄")
        ));
        assert!(matches!(
            parse(&task(), "学号,姓名,身份证号\n".as_bytes(), TODAY),
            Err(RosterError::File(_))
        ));
        assert!(matches!(
            parse(&task(), b"\xFF\xFE\x00garbage\xFF", TODAY),
            Err(RosterError::File(_))
        ));
    }
}
