//! The API's own refusals, worded for a student's or an operator's screen: one function per
//! code, so a code means one thing and its words are written once. Codes are stable (clients
//! key on them); messages never repeat a name or an ID number. The generic ones (bad request,
//! not found, forbidden, unavailable) are the `web` crate's.

use domain::china;
use lambda_http::http::StatusCode;
use time::{Date, OffsetDateTime};
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

/// `POST /v1/identity` names the ID-card photo the student confirms from; it must be the
/// current one.
pub fn id_card_required() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "id_card_required",
        "请先上传身份证人像面照片，再确认姓名和身份证号码",
        "Upload a photo of your ID card's portrait side first, then confirm your name and number",
    )
}

/// The card is still being read: the client polls `GET /v1/me`.
pub fn id_card_pending() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "id_card_pending",
        "正在识别您的身份证，请稍候",
        "Your ID card is still being read; try again in a moment",
    )
}

/// The photo is not the portrait side of a card with a face: what to retake.
pub fn id_card_unusable(problem: domain::CardProblem) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "id_card_unusable",
        problem.message_zh(),
        problem.message_en(),
    )
    .with_details(serde_json::json!({ "problem": problem }))
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
/// Too many attempts in the current window: says when, in China time, the student may try
/// again, and gives the instant in `details.retry_at`.
pub fn too_many_attempts(resets_at: OffsetDateTime) -> ApiError {
    try_again_at(
        "too_many_attempts",
        ["尝试次数过多", "Too many attempts"],
        resets_at,
    )
}

/// The service's identity checks for the day are used up: not the student's doing.
pub fn identity_checks_exhausted(resets_at: OffsetDateTime) -> ApiError {
    try_again_at(
        "identity_checks_exhausted",
        [
            "今日实名核验名额已满",
            "Today's identity checks are used up",
        ],
        resets_at,
    )
}

/// A 429 whose words end with when to try again, in China time.
fn try_again_at(code: &'static str, [zh, en]: [&str; 2], resets_at: OffsetDateTime) -> ApiError {
    let at = china::datetime(resets_at);
    let (day, month, clock) = (
        at.day(),
        at.month(),
        format!("{:02}:{:02}", at.hour(), at.minute()),
    );
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        code,
        format!(
            "{zh}，请于北京时间 {}月{day}日 {clock} 后再试",
            u8::from(month)
        ),
        format!("{en}; try again after {clock} on {day} {month} (China time)"),
    );
    let retry_at = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    e.details = Some(serde_json::json!({ "retry_at": retry_at }));
    e
}

/// A case of the student's is in review or later: the ID-card portrait the reviewer compares
/// the photo with cannot change under them.
/// The submission names a standardised photo other than the one on record: the student
/// confirms what they saw.
pub fn photo_not_confirmed() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "photo_not_confirmed",
        "您确认的照片与处理后的照片不一致，请重新查看处理后的照片再确认",
        "The photo you confirmed is not the standardised photo on record: view it again and confirm",
    )
}

/// A reviewer holds the case: the photo can no longer be taken back.
pub fn held_by_reviewer(until: time::OffsetDateTime) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "held_by_reviewer",
        "审核员正在审核您的照片，现在不能撤回；如审核不通过，可重新上传",
        "A reviewer is reviewing your photo, so it cannot be withdrawn now; if it is not approved you can upload another",
    )
    .with_details(serde_json::json!({
        "lease_until": until.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    }))
}

pub fn portrait_locked() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "portrait_locked",
        "您的照片正在审核或已通过审核，身份证人像不能更换；如需更换请联系学校",
        "A photo of yours is in review or approved, so your ID-card portrait cannot be replaced now; contact your school if it must be",
    )
}

/// The identity is verified on another WeChat account. Reached only with the right name and
/// number, so it tells a prober nothing a wrong pair would not.
pub fn identity_in_use() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "identity_in_use",
        "此身份已在另一个微信账号上完成实名核验。如您更换了微信账号，请提交转移申请并联系学校或客服，核实身份后即可转移到新账号",
        "This identity is already verified on another WeChat account. If you changed accounts, file a transfer request and contact your school or our support: once they have checked who you are, they move it to this account",
    )
    // Where the student files the request an operator decides.
    .with_details(serde_json::json!({ "transfer_request": "/v1/identity/transfer-requests" }))
}

/// A transfer was asked for an identity no account holds: verify it directly.
pub fn identity_not_in_use() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "identity_not_in_use",
        "此身份未在其他微信账号上核验，请直接进行实名核验",
        "No other WeChat account holds this identity; verify it directly",
    )
}

// Linking a roster row.

/// A code-based link found no row of the caller's: the code is unknown, the last four or the
/// 学号 do not match, or the row is another person's. One answer for all, so the route tells no
/// one which codes or student numbers exist; each counts as a guess.
pub fn no_matching_record() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_matching_record",
        "未找到与您实名信息相符的学籍记录，请核对输入的信息后重试",
        "No record matching your verified identity was found; check what you entered and try again",
    )
}

pub fn not_on_roster() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_on_roster",
        "未在名单中找到您的信息，请使用图像采集码或场次编码关联",
        "You are not on any roster under this name and ID number; link with your collection code or session code instead",
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

pub fn invalid_id_last4() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_id_last4",
        "请输入身份证号码后四位",
        "id_last4 must be the last four characters of the ID number",
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

/// The task offers no printed photos.
pub fn no_print_offer() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "no_print_offer",
        "该采集任务不提供冲印邮寄服务",
        "This task does not offer printed photos",
    )
}

/// Prints are ordered only with somewhere to send them.
pub fn address_required() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "address_required",
        "请先填写收件地址再订购冲印照片",
        "Give the postal address before ordering printed photos",
    )
}

/// The parcel left: its address can no longer change.
pub fn print_shipped() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "print_shipped",
        "照片已寄出，收件地址不能再修改",
        "The prints were shipped; the address can no longer be changed",
    )
}

/// Sensitive personal data is processed only with the student's consent to the current
/// privacy notice, to every purpose in it.
pub fn consent_required(notice_version: &str, missing: &[domain::privacy::Purpose]) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "consent_required",
        "请先阅读并同意《个人信息处理规则》中的实名核验、人脸照片和人脸比对",
        "Read the privacy notice and consent to the identity check, the face photo and the face comparison first",
    )
    .with_details(serde_json::json!({ "notice_version": notice_version, "missing": missing }))
}
