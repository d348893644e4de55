//! The API's own refusals, worded for a student's or an operator's screen: one function per
//! code, so a code means one thing and its words are written once. Codes are stable (clients
//! key on them); messages never repeat a name or an ID number. The generic ones (bad request,
//! not found, forbidden, unavailable) are the `web` crate's.

use lambda_http::http::StatusCode;
use time::Date;
use web::ApiError;

use crate::roster::{MAX_ROWS, RowError};

// Identity.

/// A case is only ever opened for someone whose identity the provider confirmed.
pub fn identity_required() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "identity_required",
        "请先完成实名认证",
        "Verify your identity first",
    )
}

pub fn invalid_id_number(problem: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_id_number",
        "身份证号码有误，请核对后重新输入",
        format!("The ID number is not valid: {problem}"),
    )
}

/// The provider says name and number do not belong together.
pub fn identity_mismatch() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "identity_mismatch",
        "姓名与身份证号码不一致，请核对后重新输入",
        "The name and ID number do not match; check them and try again",
    )
}

/// One WeChat account is one person, for good.
pub fn identity_already_verified() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "identity_already_verified",
        "此微信账号已绑定其他身份，不能更改",
        "This WeChat account is already verified as someone else",
    )
}

pub fn login_code_invalid() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "login_code_invalid",
        "登录凭证无效或已使用，请重新登录",
        "The login code is invalid or was already used; log in again",
    )
}

/// WeChat limits logins per user.
pub fn login_rate_limited() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "登录过于频繁，请稍后再试",
        "Too many logins; try again in a minute",
    )
}

/// A window of wrong guesses is full (see `routes::limits`).
pub fn too_many_attempts(window_minutes: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!("错误次数过多，请 {window_minutes} 分钟后再试"),
        format!("Too many wrong attempts; try again in {window_minutes} minutes"),
    )
}

// Linking a roster row.

pub fn not_on_roster() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_on_roster",
        "未在名单中找到您的信息，请使用图像采集码或场次编码关联",
        "You are not on any roster under this name and ID number; link with your collection code or session code instead",
    )
}

/// The row found by a code is not the verified student's (another name or ID number).
pub fn not_your_record() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "not_your_record",
        "此学籍信息与您的实名信息不一致",
        "This record does not match your verified identity",
    )
}

/// Another WeChat account opened this row's case first.
pub fn already_linked() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "already_linked",
        "此学籍已被其他微信账号关联，如有疑问请联系学校",
        "Another WeChat account has already linked this record; contact your school",
    )
}

pub fn qr_unreadable(problem: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "qr_unreadable",
        "未能识别二维码，请上传清晰的二维码截图或直接输入采集码",
        format!("{problem}; upload a sharper screenshot or type the code"),
    )
}

pub fn invalid_chsi_code() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_chsi_code",
        "图像采集码格式有误",
        "The collection code is malformed",
    )
}

pub fn chsi_code_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "chsi_code_not_found",
        "未找到此图像采集码，请核对后重新输入",
        "No record has this collection code; check it and try again",
    )
}

pub fn invalid_id_last4() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_id_last4",
        "请输入身份证号码后四位",
        "id_last4 must be the last four characters of the ID number",
    )
}

pub fn id_last4_mismatch() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "id_last4_mismatch",
        "身份证号码后四位不正确",
        "The last four characters of the ID number do not match",
    )
}

pub fn session_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "session_not_found",
        "未找到此采集场次，请核对场次编码",
        "No collection session has this code; check it and try again",
    )
}

pub fn student_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "student_not_found",
        "本场次名单中没有此学号，请核对后重新输入",
        "This session's roster has no such student number",
    )
}

// The session.

pub fn session_not_open(opens: Date) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "session_not_open",
        format!("采集尚未开始，开始时间：{opens}"),
        format!("The collection session opens on {opens}"),
    )
}

pub fn session_closed(closed: Date) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "session_closed",
        format!("采集已于 {closed} 结束，请联系学校"),
        format!("The collection session closed on {closed}; contact your school"),
    )
}

// Uploads and payment.

pub fn unsupported_format() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "unsupported_format",
        "请上传 JPG 或 PNG 格式的照片",
        "Upload a JPEG or PNG photo",
    )
}

pub fn empty_file() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "empty_file",
        "照片文件是空的，请重新选择",
        "The photo file is empty; choose it again",
    )
}

pub fn file_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        "照片文件需小于 15 MB",
        "The photo must be smaller than 15 MB",
    )
}

pub fn no_fee() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "no_fee",
        "本次采集无需缴费",
        "This collection charges no fee",
    )
}

// Operators: tasks and rosters.

pub fn session_code_taken() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "session_code_taken",
        "此采集场次编码已被使用",
        "Another task already uses this session code",
    )
}

pub fn roster_unreadable(problem: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "roster_unreadable",
        format!("名单文件无法读取：{problem}"),
        format!("The roster file cannot be read: {problem}"),
    )
}

pub fn roster_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "roster_too_large",
        format!("名单最多 {MAX_ROWS} 行，请分批导入"),
        format!("A roster may have at most {MAX_ROWS} rows; import it in parts"),
    )
}

/// Nothing was imported; every bad row is listed for the operator.
pub fn roster_rows_invalid(errors: &[RowError], total: usize) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "roster_rows_invalid",
        format!("名单中有 {total} 行有误，未导入任何数据，请修改后重新导入"),
        format!("{total} rows have problems; nothing was imported. Fix them and import again"),
    )
    .with_details(serde_json::json!({ "total": total, "rows": errors }))
}
