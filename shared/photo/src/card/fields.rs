//! The fields of the card's portrait side from the lines read on it. The labels are printed
//! (姓名, 性别, 民族, 出生, 住址, 公民身份号码) and each value follows its label on the same row,
//! read either as one line with it or as the next box to its right.

use domain::IdNumber;
use serde::Serialize;

use super::ocr::TextLine;

/// A value read from the card and how sure the recogniser was of it (mean character
/// probability, 0–1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    pub value: String,
    pub confidence: f32,
}

/// What the lines say, before any judgement.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Fields {
    pub name: Option<Field>,
    pub sex: Option<Field>,
    pub nation: Option<Field>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<Field>,
    /// 18 characters that look like an ID number; the checksum is judged by the caller.
    pub id_number: Option<Field>,
    /// Words only the national-emblem side carries were seen.
    pub emblem_side: bool,
    /// How many of the portrait side's six labels were seen: none, and a bright rectangle
    /// with a face in it is not known to be a card at all.
    pub portrait_labels: usize,
}

/// Reads the fields from `lines` (in reading order).
pub fn read(lines: &[TextLine]) -> Fields {
    let emblem = ["居民身份证", "签发机关", "有效期限"];
    let said = |word: &str| lines.iter().any(|l| compact(&l.text).contains(word));
    Fields {
        name: after_label(lines, "姓名")
            .map(|f| clean(f, is_name_char))
            .filter(|f| (2..=20).contains(&f.value.chars().count())),
        sex: after_label(lines, "性别").and_then(|f| first_of(f, &['男', '女'])),
        nation: after_label(lines, "民族").map(|f| clean(f, is_han)),
        birth_date: after_label(lines, "出生").and_then(date),
        id_number: id_number(lines),
        emblem_side: emblem.iter().any(|w| said(w)) && !said("公民身份号码"),
        portrait_labels: ["姓名", "性别", "民族", "出生", "住址", "公民身份号码"]
            .iter()
            .filter(|w| said(w))
            .count(),
    }
}

/// The text with the spaces OCR puts between characters removed.
fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The value of `label`: the rest of its line, or the box to its right on the same row.
fn after_label(lines: &[TextLine], label: &str) -> Option<Field> {
    for (i, line) in lines.iter().enumerate() {
        let text = compact(&line.text);
        let Some(at) = text.find(label) else {
            continue;
        };
        let rest = &text[at + label.len()..];
        // 性别 and 民族 share a row: the value of 性别 stops where 民族 begins.
        let rest = ["民族", "出生", "住址"]
            .iter()
            .filter_map(|next| rest.find(next))
            .min()
            .map_or(rest, |end| &rest[..end]);
        if !rest.is_empty() {
            return Some(Field {
                value: rest.to_owned(),
                confidence: line.confidence,
            });
        }
        let right = lines[i + 1..].iter().find(|l| {
            (l.centre_y() - line.centre_y()).abs() <= line.height as f32 / 2.0
                && l.left + 2 >= line.right().saturating_sub(line.width / 4)
        })?;
        return Some(Field {
            value: compact(&right.text),
            confidence: right.confidence,
        });
    }
    None
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{20000}'..='\u{3134F}')
}

/// Names are Han characters, with `·` between the parts of an ethnic name.
fn is_name_char(c: char) -> bool {
    is_han(c) || c == '·'
}

/// Keeps the characters `keep` accepts, after mapping the dots OCR reads for `·`.
fn clean(field: Field, keep: fn(char) -> bool) -> Field {
    let value = field
        .value
        .chars()
        .map(|c| match c {
            '.' | '•' | '・' | '∙' | '⋅' | '．' | '。' => '·',
            other => other,
        })
        .filter(|&c| keep(c))
        .collect::<String>()
        .trim_matches('·')
        .to_owned();
    Field { value, ..field }
}

fn first_of(field: Field, options: &[char]) -> Option<Field> {
    let c = field.value.chars().find(|c| options.contains(c))?;
    Some(Field {
        value: c.to_string(),
        ..field
    })
}

/// `1990年3月7日` → `1990-03-07`.
fn date(field: Field) -> Option<Field> {
    let digits: Vec<u32> = field
        .value
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    let [y, m, d, ..] = digits[..] else {
        return None;
    };
    (1900..=2100).contains(&y).then_some(())?;
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let date = time::Date::from_calendar_date(y as i32, month, u8::try_from(d).ok()?).ok()?;
    Some(Field {
        value: format!("{:04}-{:02}-{:02}", date.year(), m, d),
        ..field
    })
}

/// The 18-character number: on the row of 公民身份号码 if it is there, else anywhere. Letters
/// OCR confuses with digits are read as the digits they stand for.
fn id_number(lines: &[TextLine]) -> Option<Field> {
    let candidates = lines.iter().filter_map(|l| {
        let text: String = compact(&l.text)
            .chars()
            .map(|c| match c {
                'x' | '×' => 'X',
                'O' | 'o' | 'D' => '0',
                'I' | 'l' | '|' => '1',
                other => other,
            })
            .collect();
        let chars: Vec<char> = text.chars().collect();
        let found = chars.windows(18).find_map(|w| {
            let s: String = w.iter().collect();
            let shaped = w[..17].iter().all(char::is_ascii_digit)
                && (w[17].is_ascii_digit() || w[17] == 'X');
            shaped.then_some(s)
        })?;
        Some(Field {
            value: found,
            confidence: l.confidence,
        })
    });
    // A number whose checksum holds beats one whose does not.
    let mut all: Vec<Field> = candidates.collect();
    all.sort_by_key(|f| IdNumber::parse_stored(&f.value).is_err());
    all.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, left: u32, top: u32, width: u32) -> TextLine {
        TextLine {
            text: text.into(),
            confidence: 0.99,
            left,
            top,
            width,
            height: 30,
        }
    }

    #[test]
    fn values_are_read_beside_their_labels_or_in_the_same_line() {
        let lines = [
            line("姓名", 40, 40, 70),
            line("阿依古丽.买买提", 130, 42, 220),
            line("性别 女 民族 维吾尔", 40, 100, 300),
            line("出生 2003年11月9日", 40, 160, 300),
            line("住址 新疆乌鲁木齐市天山区", 40, 220, 400),
            line("公民身份号码", 40, 460, 160),
            line("65010220031109002x", 260, 462, 360),
        ];
        let f = read(&lines);
        assert_eq!(f.name.unwrap().value, "阿依古丽·买买提");
        assert_eq!(f.sex.unwrap().value, "女");
        assert_eq!(f.nation.unwrap().value, "维吾尔");
        assert_eq!(f.birth_date.unwrap().value, "2003-11-09");
        assert_eq!(f.id_number.unwrap().value, "65010220031109002X");
        assert!(!f.emblem_side);
    }

    #[test]
    fn the_emblem_side_is_told_apart() {
        let lines = [
            line("中华人民共和国", 200, 120, 400),
            line("居民身份证", 220, 200, 360),
            line("签发机关 广州市公安局", 120, 420, 500),
        ];
        let f = read(&lines);
        assert!(f.emblem_side);
        assert!(f.name.is_none() && f.id_number.is_none());
    }
}
