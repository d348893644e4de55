//! 居民身份证号码: the mainland resident ID number of GB 11643-1999.
//!
//! Rosters are matched on this number, so it must be validated once, at the
//! edge, and carried around in its normalised form. It is also personal data:
//! `Debug` and `Display` print only the masked form, and no error message ever
//! repeats the input, because errors and stray `{:?}` end up in logs.

use std::fmt;
use std::hash::{Hash, Hasher};
use time::{Date, Month};

/// Length of a second-generation number; the 15-digit first-generation cards
/// expired in 2013 and cannot belong to a graduating student.
const LEN: usize = 18;

/// Number of body digits covered by the check character.
const BODY_LEN: usize = LEN - 1;

/// MOD 11-2 weights of GB 11643-1999 (`2^(i-1) mod 11`, counted from the
/// right with the check character at i = 1).
const WEIGHTS: [u32; BODY_LEN] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check character indexed by the weighted sum of the body mod 11, so that the
/// whole number's weighted sum is ≡ 1 (mod 11).
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// Earliest birth year we accept: a birth date before 1900 is a typo, not a
/// graduate (the standard's own 1880 example included).
const MIN_BIRTH_YEAR: i32 = 1900;

/// Characters shown in place of the birth date and sequence code.
const MASK: &str = "********";

/// Why a string is not an acceptable ID number.
///
/// Messages name only the kind of problem and, where useful, a length or a
/// position: never the number itself, which is personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdNumberError {
    /// Not 18 characters after trimming (counted as Unicode characters).
    #[error("ID number must have 18 characters, found {len}")]
    WrongLength { len: usize },
    /// A character other than an ASCII digit, or `X` anywhere but last.
    /// `position` is 1-based, as a student would count it.
    #[error("ID number has an invalid character at position {position}")]
    InvalidCharacter { position: usize },
    /// The MOD 11-2 check character of GB 11643-1999 does not match.
    #[error("ID number check digit does not match (GB 11643-1999 MOD 11-2)")]
    BadCheckDigit,
    /// Digits 7–14 are not a real date between 1900 and today.
    #[error("ID number does not contain a plausible birth date")]
    ImplausibleBirthDate,
    /// The first six digits are not a plausible GB/T 2260 region code.
    #[error("ID number does not start with a known region code")]
    UnknownRegion,
}

/// A validated 居民身份证号码: 18 ASCII characters, check character upper-case.
///
/// Only [`IdNumber::parse`] and `parse_stored` construct one. The birth date is decoded once at
/// construction so [`IdNumber::birth_date`] cannot fail later.
#[derive(Clone)]
pub struct IdNumber {
    number: String,
    birth_date: Date,
}

impl IdNumber {
    /// Parses and validates a number entered on `today` (the caller's clock: the domain reads
    /// none).
    ///
    /// Trims surrounding whitespace (including the full-width space that
    /// copy-paste from Chinese documents brings) and upper-cases a final `x`.
    /// Full-width digits are rejected rather than converted: they mean the
    /// student typed in the wrong input mode and should see it.
    ///
    /// # Errors
    ///
    /// The first failed check, in the order length, characters, check
    /// character, birth date (a real date, year ≥ 1900, not after `today`),
    /// region code.
    pub fn parse(s: &str, today: Date) -> Result<Self, IdNumberError> {
        let id = Self::parse_structure(s)?;
        if id.birth_date.year() < MIN_BIRTH_YEAR || id.birth_date > today {
            return Err(IdNumberError::ImplausibleBirthDate);
        }
        if !is_plausible_region(id.region_code().as_bytes()) {
            return Err(IdNumberError::UnknownRegion);
        }
        Ok(id)
    }

    /// Reads a number back from storage, with [`Self::parse_structure`]'s checks only.
    pub fn parse_stored(s: &str) -> Result<Self, IdNumberError> {
        Self::parse_structure(s)
    }

    /// The number whose first 17 digits are `body`, with its check character appended
    /// (for building rosters in tests and demos). `None` unless `body` is 17 ASCII digits.
    pub fn complete(body: &str) -> Option<String> {
        let bytes = body.as_bytes();
        if bytes.len() != BODY_LEN || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(format!("{body}{}", char::from(check_character(bytes))))
    }

    /// The checks that hold for a number forever: length, characters, check
    /// character and a real calendar date.
    ///
    /// Used when reading stored data, which was fully validated when it was
    /// entered: re-applying the clock or the region list there could make a
    /// stored case unreadable after a clock skew or a rule change.
    fn parse_structure(s: &str) -> Result<Self, IdNumberError> {
        let s = s.trim();
        let len = s.chars().count();
        if len != LEN {
            return Err(IdNumberError::WrongLength { len });
        }

        let mut digits = [0u8; LEN];
        for ((index, c), slot) in s.chars().enumerate().zip(digits.iter_mut()) {
            *slot = match c {
                '0'..='9' => c as u8,
                'x' | 'X' if index == LEN - 1 => b'X',
                _ => {
                    return Err(IdNumberError::InvalidCharacter {
                        position: index + 1,
                    });
                }
            };
        }

        let (body, check) = digits.split_at(BODY_LEN);
        if check != [check_character(body)] {
            return Err(IdNumberError::BadCheckDigit);
        }

        let birth_date = birth_date_of(&digits).ok_or(IdNumberError::ImplausibleBirthDate)?;
        let number = digits.iter().copied().map(char::from).collect();
        Ok(Self { number, birth_date })
    }

    /// The full, normalised number. Call this only where the full value is
    /// really needed (roster matching, encrypted storage), never for logging.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The birth date encoded in digits 7–14 (YYYYMMDD).
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// The six-digit administrative region code (GB/T 2260) of first
    /// registration; it need not be where the student lives now.
    pub fn region_code(&self) -> &str {
        &self.number[..6]
    }

    /// The last four characters, which students type to confirm that a
    /// roster row is theirs without exposing the whole number.
    pub fn last_four(&self) -> &str {
        &self.number[LEN - 4..]
    }

    /// Whether `typed` (as a student enters it: trimmed, `x` or `X`) is this
    /// number's last four.
    pub fn ends_with_typed(&self, typed: &LastFour) -> bool {
        self.last_four() == typed.0
    }

    /// The first six and last four characters with the birth date and
    /// sequence code hidden: `440106********123X`.
    pub fn masked(&self) -> String {
        format!("{}{MASK}{}", self.region_code(), self.last_four())
    }
}

/// Computes the GB 11643-1999 MOD 11-2 check character of 17 ASCII digits.
fn check_character(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(&digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    // `sum % 11` is below 11, the table's length.
    CHECK_CHARS[(sum % 11) as usize]
}

/// Decodes digits 7–14 as a calendar date, `None` if no such day exists.
fn birth_date_of(digits: &[u8; LEN]) -> Option<Date> {
    let year = i32::try_from(decimal(&digits[6..10])).ok()?;
    let month = Month::try_from(u8::try_from(decimal(&digits[10..12])).ok()?).ok()?;
    let day = u8::try_from(decimal(&digits[12..14])).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// The value of a short run of ASCII digits.
fn decimal(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |value, &digit| value * 10 + u32::from(digit - b'0'))
}

/// Whether a six-digit prefix can be a region code of GB/T 2260.
///
/// A bare province code (`110000`) is not issued to residents, except the
/// 港澳台 codes, whose whole-province prefixes (`810000`, `820000`,
/// `830000`) are what residence permits carry.
fn is_plausible_region(prefix: &[u8]) -> bool {
    let province = decimal(&prefix[..2]);
    let is_province = matches!(
        province,
        11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83
    );
    let is_hmt = matches!(province, 71 | 81..=83);
    is_province && (is_hmt || &prefix[2..] != b"0000")
}

/// The last four characters of an ID number as a student typed them: four
/// digits, or three and a check character `X`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastFour(String);

impl LastFour {
    /// `None` when `s` cannot be the end of any ID number.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let well_formed = b.len() == 4
            && b[..3].iter().all(u8::is_ascii_digit)
            && (b[3].is_ascii_digit() || b[3] == b'X');
        well_formed.then_some(Self(s))
    }
}

impl PartialEq for IdNumber {
    fn eq(&self, other: &Self) -> bool {
        self.number == other.number
    }
}

impl Eq for IdNumber {}

impl Hash for IdNumber {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.number.hash(state);
    }
}

/// Masked, so that a stray `{:?}` in a log line never leaks the number.
impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber")
            .field(&format_args!("{}", self.masked()))
            .finish()
    }
}

/// Masked: the form fit for screens, messages and logs.
impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Masks a name for display to someone other than its owner: the first
/// character stays, every other character becomes `*` (张三 → 张*,
/// 欧阳娜娜 → 欧***). A one-character name becomes `*`, since showing it would
/// show everything. Counts Unicode characters, not bytes.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let hidden = chars.count();
    if hidden == 0 {
        return "*".to_owned();
    }
    let mut masked = String::with_capacity(first.len_utf8() + hidden);
    masked.push(first);
    masked.extend(std::iter::repeat_n('*', hidden));
    masked
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2025 - 06 - 30);

    /// Appends the check character computed from the standard's definition
    /// (Σ aᵢ·Wᵢ ≡ 1 mod 11 with Wᵢ = 2^(i-1) mod 11, i counted from the right),
    /// independently of the module's lookup table.
    fn with_check(body: &str) -> String {
        assert_eq!(body.len(), 17, "test bodies have 17 digits");
        let sum: u32 = body
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| u32::from(b - b'0') * ((1u32 << (i + 1)) % 11))
            .sum();
        let check = (0..=10u32)
            .find(|c| (sum + c) % 11 == 1)
            .expect("some residue completes the sum");
        let check = char::from_digit(check, 10).unwrap_or('X');
        format!("{body}{check}")
    }

    fn parse(s: &str) -> Result<IdNumber, IdNumberError> {
        IdNumber::parse(s, TODAY)
    }

    #[test]
    fn the_typed_last_four_is_read_as_a_student_types_it() {
        let id = parse("11010519491231002X").unwrap();
        assert!(id.ends_with_typed(&LastFour::parse(" 002x ").unwrap()));
        assert!(!id.ends_with_typed(&LastFour::parse("0020").unwrap()));
        for bad in ["", "02X", "00 2X", "X002", "002Y", "００２X"] {
            assert_eq!(LastFour::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_standards_sample_number_parses() {
        let number = with_check("11010519491231002");
        assert_eq!(number, "11010519491231002X");

        let id = parse(&number).expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
        assert_eq!(id.region_code(), "110105");
        assert_eq!(id.last_four(), "002X");
    }

    #[test]
    fn a_numeric_check_digit_parses() {
        let number = with_check("44010620030915123");
        let id = parse(&number).expect("valid");
        assert_eq!(id.as_str(), number);
        assert_eq!(id.birth_date(), date!(2003 - 09 - 15));
    }

    #[test]
    fn lowercase_x_is_normalised_to_uppercase() {
        let id = parse("11010519491231002x").expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.last_four(), "002X");
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        let id = parse(" \t11010519491231002X\u{3000}\n").expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn equality_and_hash_use_the_normalised_number() {
        let upper = parse("11010519491231002X").expect("valid");
        let lower = parse(" 11010519491231002x ").expect("valid");
        assert_eq!(upper, lower);
        assert_eq!(HashSet::from([upper, lower]).len(), 1);
    }

    #[test]
    fn wrong_length_counts_characters_not_bytes() {
        assert_eq!(parse(""), Err(IdNumberError::WrongLength { len: 0 }));
        assert_eq!(
            parse("1101051949123100"),
            Err(IdNumberError::WrongLength { len: 16 })
        );
        assert_eq!(
            parse("11010519491231002X1"),
            Err(IdNumberError::WrongLength { len: 19 })
        );
        assert_eq!(parse("张三"), Err(IdNumberError::WrongLength { len: 2 }));
        // A first-generation 15-digit number is no longer valid.
        assert_eq!(
            parse("110105491231002"),
            Err(IdNumberError::WrongLength { len: 15 })
        );
    }

    #[test]
    fn invalid_character_reports_its_one_based_position() {
        assert_eq!(
            parse("1101051949123100AX"),
            Err(IdNumberError::InvalidCharacter { position: 17 })
        );
        assert_eq!(
            parse("X1010519491231002X"),
            Err(IdNumberError::InvalidCharacter { position: 1 })
        );
        assert_eq!(
            parse("11010519491231002-"),
            Err(IdNumberError::InvalidCharacter { position: 18 })
        );
        assert_eq!(
            parse("110105 9491231002X"),
            Err(IdNumberError::InvalidCharacter { position: 7 })
        );
    }

    #[test]
    fn full_width_digits_are_rejected() {
        let full_width: String = "11010519491231002X"
            .chars()
            .map(|c| {
                c.to_digit(10)
                    .map_or('Ｘ', |d| char::from_u32(0xFF10 + d).unwrap_or('?'))
            })
            .collect();
        assert_eq!(full_width.chars().count(), 18);
        assert_eq!(
            parse(&full_width),
            Err(IdNumberError::InvalidCharacter { position: 1 })
        );
    }

    #[test]
    fn wrong_check_digit_is_rejected() {
        assert_eq!(
            parse("110105194912310021"),
            Err(IdNumberError::BadCheckDigit)
        );
        assert_eq!(
            parse("110105194912310020"),
            Err(IdNumberError::BadCheckDigit)
        );
    }

    #[test]
    fn february_29_exists_only_in_leap_years() {
        for leap in ["2000", "2004", "1996"] {
            let id = parse(&with_check(&format!("440106{leap}0229123"))).expect("leap year");
            assert_eq!(id.birth_date().day(), 29);
        }
        // 1900 is divisible by 100 but not by 400: not a leap year.
        for common in ["1900", "2001", "2003"] {
            assert_eq!(
                parse(&with_check(&format!("440106{common}0229123"))),
                Err(IdNumberError::ImplausibleBirthDate),
                "{common}-02-29"
            );
        }
    }

    #[test]
    fn impossible_calendar_dates_are_rejected() {
        for date in ["20031301", "20030001", "20030100", "20030132", "20030431"] {
            assert_eq!(
                parse(&with_check(&format!("440106{date}123"))),
                Err(IdNumberError::ImplausibleBirthDate),
                "{date}"
            );
        }
    }

    #[test]
    fn birth_years_before_1900_are_rejected() {
        // The standard's own example, born in 1880.
        assert_eq!(with_check("44052418800101001"), "440524188001010014");
        assert_eq!(
            parse("440524188001010014"),
            Err(IdNumberError::ImplausibleBirthDate)
        );
        assert_eq!(
            parse(&with_check("44010618991231123")),
            Err(IdNumberError::ImplausibleBirthDate)
        );
        assert!(parse(&with_check("44010619000101123")).is_ok());
    }

    #[test]
    fn birth_dates_after_today_are_rejected() {
        assert_eq!(
            parse(&with_check("44010620250701123")),
            Err(IdNumberError::ImplausibleBirthDate)
        );
        assert!(
            parse(&with_check("44010620250630123")).is_ok(),
            "born today"
        );
    }

    #[test]
    fn unknown_provinces_are_rejected() {
        for province in [
            "00", "10", "16", "20", "30", "40", "55", "66", "72", "80", "84", "99",
        ] {
            assert_eq!(
                parse(&with_check(&format!("{province}010620030915123"))),
                Err(IdNumberError::UnknownRegion),
                "province {province}"
            );
        }
    }

    #[test]
    fn every_listed_province_is_accepted() {
        let provinces = (11..=15)
            .chain(21..=23)
            .chain(31..=37)
            .chain(41..=46)
            .chain(50..=54)
            .chain(61..=65)
            .chain([71, 81, 82, 83]);
        for province in provinces {
            assert!(
                parse(&with_check(&format!("{province}010620030915123"))).is_ok(),
                "province {province}"
            );
        }
    }

    #[test]
    fn a_bare_province_code_is_accepted_only_for_hong_kong_macau_taiwan() {
        assert_eq!(
            parse(&with_check("11000020030915123")),
            Err(IdNumberError::UnknownRegion)
        );
        assert_eq!(
            parse(&with_check("44000020030915123")),
            Err(IdNumberError::UnknownRegion)
        );
        for prefix in ["710000", "810000", "820000", "830000"] {
            let id = parse(&with_check(&format!("{prefix}20030915123"))).expect(prefix);
            assert_eq!(id.region_code(), prefix);
        }
    }

    #[test]
    fn masked_shows_region_and_last_four_only() {
        let id = parse(&with_check("44010620030915123")).expect("valid");
        let masked = id.masked();
        assert_eq!(masked.len(), 18);
        assert!(masked.starts_with("440106********"));
        assert!(masked.ends_with(id.last_four()));

        let id = parse("11010519491231002X").expect("valid");
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn debug_and_display_print_the_masked_form() {
        let id = parse("11010519491231002X").expect("valid");
        assert_eq!(format!("{id}"), "110105********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(110105********002X)");
        assert_eq!(
            format!("{:?}", Some(&id)),
            "Some(IdNumber(110105********002X))"
        );
    }

    #[test]
    fn error_messages_do_not_repeat_the_input() {
        let inputs = [
            "1101051949123100",
            "11010519491231002A",
            "110105194912310021",
            "11010519491301002X",
            "99010519491231002X",
        ];
        for input in inputs {
            let error = parse(input).expect_err(input);
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("19491231"), "{shown}");
            assert!(!shown.contains("194912"), "{shown}");
        }
    }

    #[test]
    fn every_error_has_a_message() {
        let errors = [
            IdNumberError::WrongLength { len: 3 },
            IdNumberError::InvalidCharacter { position: 5 },
            IdNumberError::BadCheckDigit,
            IdNumberError::ImplausibleBirthDate,
            IdNumberError::UnknownRegion,
        ];
        let messages: HashSet<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), errors.len());
        assert!(messages.iter().all(|m| m.starts_with("ID number")));
    }

    #[test]
    fn stored_numbers_are_not_rejected_by_the_clock_or_region_list() {
        let future = with_check("44010620990101123");
        assert!(parse(&future).is_err());
        let id = IdNumber::parse_stored(&future).expect("stored");
        assert_eq!(id.birth_date(), date!(2099 - 01 - 01));

        let bare_province = with_check("44000020030915123");
        assert!(IdNumber::parse_stored(&bare_province).is_ok());
    }

    #[test]
    fn stored_numbers_still_need_a_valid_structure() {
        for bad in [
            "1101051949123100",
            "1101051949123100AX",
            "110105194912310021",
            "11010519490230002X",
            "12",
        ] {
            let error = IdNumber::parse_stored(bad).expect_err(bad);
            assert!(!error.to_string().contains("19491231"), "{error}");
        }
    }

    #[test]
    fn complete_appends_the_check_character() {
        assert_eq!(
            IdNumber::complete("11010519491231002").as_deref(),
            Some("11010519491231002X")
        );
        assert_eq!(IdNumber::complete("1101051949123100"), None);
        assert_eq!(IdNumber::complete("1101051949123100a"), None);
    }

    #[test]
    fn names_keep_only_their_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_name("   "), "");
        assert_eq!(mask_name(" 王小明 "), "王**");
        assert_eq!(mask_name("阿依古丽·买买提"), "阿*******");
        assert_eq!(mask_name("Anna Lee"), "A*******");
    }

    /// Valid 17-digit bodies: a listed province, a non-bare region, a real
    /// birth date between 1900-01-01 and `TODAY`, any sequence code.
    fn valid_body() -> impl Strategy<Value = String> {
        let provinces: Vec<u32> = (11..=15)
            .chain(21..=23)
            .chain(31..=37)
            .chain(41..=46)
            .chain(50..=54)
            .chain(61..=65)
            .chain([71, 81, 82, 83])
            .collect();
        (
            prop::sample::select(provinces),
            1u32..10_000,
            date!(1900 - 01 - 01).to_julian_day()..=TODAY.to_julian_day(),
            0u32..1_000,
        )
            .prop_map(|(province, area, julian_day, sequence)| {
                let birth = Date::from_julian_day(julian_day).expect("in range");
                format!(
                    "{province:02}{area:04}{:04}{:02}{:02}{sequence:03}",
                    birth.year(),
                    u8::from(birth.month()),
                    birth.day()
                )
            })
    }

    fn middle_eight(number: &str) -> &str {
        &number[6..14]
    }

    proptest! {
        #[test]
        fn a_valid_body_with_its_check_digit_always_parses(body in valid_body()) {
            let number = with_check(&body);
            let id = parse(&number).expect("valid");
            prop_assert_eq!(id.as_str(), number.as_str());
            prop_assert_eq!(id.region_code(), &body[..6]);
        }

        #[test]
        fn changing_any_single_digit_is_rejected(
            body in valid_body(),
            position in 0usize..18,
            shift in 1u32..10,
        ) {
            let number = with_check(&body);
            let mut chars: Vec<char> = number.chars().collect();
            let original = chars[position].to_digit(10).unwrap_or(10);
            // Any digit other than the original (for a final X, any digit).
            chars[position] = char::from_digit((original + shift) % 10, 10).expect("digit");
            let changed: String = chars.into_iter().collect();
            prop_assume!(changed != number);
            prop_assert!(parse(&changed).is_err());
        }

        #[test]
        fn parse_never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = parse(&s);
            let _ = IdNumber::parse_stored(&s);
        }

        #[test]
        fn parse_never_panics_on_near_miss_strings(
            s in "[0-9xX\u{FF10}-\u{FF19}张·é \u{3000}]{14,22}"
        ) {
            if let Ok(id) = parse(&s) {
                prop_assert_eq!(id.as_str().len(), 18);
            }
        }

        #[test]
        fn nothing_printed_reveals_the_middle_digits(
            body in valid_body(),
            position in 0usize..18,
            shift in 1u32..10,
        ) {
            let number = with_check(&body);
            let middle = middle_eight(&number);
            let id = parse(&number).expect("valid");
            let shown = format!("{id} {id:?} {}", id.masked());
            prop_assert!(!shown.contains(middle));

            let mut chars: Vec<char> = number.chars().collect();
            let original = chars[position].to_digit(10).unwrap_or(10);
            chars[position] = char::from_digit((original + shift) % 10, 10).expect("digit");
            let changed: String = chars.into_iter().collect();
            if let Err(error) = parse(&changed) {
                let shown = format!("{error} {error:?}");
                prop_assert!(!shown.contains(middle_eight(&changed)));
                prop_assert!(!shown.contains(middle));
            }
        }
    }
}
