//! China Standard Time: the students' and reviewers' calendar. A day that counts (a birth date
//! against today, a reviewer's day in the report) is a day in UTC+8, not in UTC, so it turns at
//! 16:00 UTC.

use time::{Date, OffsetDateTime, UtcOffset};

pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+8 is a valid offset"),
};

/// `at` as a clock in China shows it.
pub fn datetime(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(CHINA)
}

/// The date `at` falls on in China.
pub fn date(at: OffsetDateTime) -> Date {
    at.to_offset(CHINA).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_day_turns_at_16_utc() {
        assert_eq!(date(datetime!(2026-06-30 15:59:59 UTC)).day(), 30);
        assert_eq!(date(datetime!(2026-06-30 16:00:00 UTC)).day(), 1);
    }
}
