//! The ids and times WeChat stamps on what it records, written as WeChat writes them.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::offset;

/// Now in Beijing time, as WeChat writes times: `2026-06-20T10:14:58+08:00`.
pub(super) fn beijing_now() -> String {
    OffsetDateTime::now_utc()
        .to_offset(offset!(+8))
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond")
        .format(&Rfc3339)
        .expect("an RFC 3339 time")
}

/// `count` (≤ 38) decimal digits, random enough that ids from different peers differ.
pub(super) fn digits(count: usize) -> String {
    let random = format!("{:038}", ulid::Ulid::new().0 % 10u128.pow(38));
    random[38 - count..].to_owned()
}
