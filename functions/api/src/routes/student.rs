//! Login, the student's profile, the ID card's photo and identity verification (实名核验).

use domain::china;
use domain::{
    CardCheck, CardProblem, CardText, IdNumber, Portrait, PortraitId, PortraitStatus, Student,
    VerifiedIdentity, mask_name,
};
use serde::{Deserialize, Serialize};
use store::{ImageType, PortraitChecked, PresignedUpload, RequestKind, StoreError, UploadKey};
use time::OffsetDateTime;
use wechat::LoginError;

use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply};

use crate::auth::{Principal, Role, STUDENT_TTL};
use crate::identity::Verification;
use crate::routes::consent::{self, ConsentBody};
use crate::routes::guards::UploadRequest;
use crate::routes::limits::{self, Budget};
use crate::views::RequestView;
use crate::{App, errors};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    code: String,
}

#[derive(Serialize)]
struct Session {
    token: String,
    role: Role,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

/// `POST /v1/auth/wechat`: trades the mini program's `wx.login()` code for a session.
pub async fn login(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let body: LoginBody = ctx.json(JSON_LIMIT)?;
    let code = body.code.trim();
    if code.is_empty() || code.len() > 128 {
        return Err(ApiError::bad_request(
            "登录凭证格式有误",
            "The login code is missing or malformed",
        ));
    }
    let session = app.login.code_to_session(code).await.map_err(|e| match e {
        LoginError::InvalidCode(_) => errors::login_code_invalid(),
        LoginError::RateLimited => errors::login_rate_limited(),
        LoginError::Unavailable(reason) => {
            tracing::warn!(%reason, "WeChat login unavailable");
            ApiError::unavailable("微信登录", "WeChat login")
        }
        LoginError::Refused { code, message } => {
            // Our configuration (appid, secret), not the student's fault.
            tracing::error!(code, %message, "WeChat refused jscode2session");
            ApiError::internal()
        }
    })?;
    let principal = Principal {
        subject: session.openid,
        role: Role::Student,
    };
    Reply::ok(Session {
        token: app.tokens.mint(&principal, ctx.now, STUDENT_TTL),
        role: Role::Student,
        expires_at: ctx.now + STUDENT_TTL,
    })
}

#[derive(Serialize)]
struct Profile {
    verified: bool,
    name: Option<String>,
    id_number: Option<String>,
    portrait: Option<PortraitStatus>,
    id_card: Option<IdCardView>,
}

/// The student's current ID-card photo and what it says, for the client to prefill the
/// identity form. Shown in full: only the card's owner is ever shown it.
#[derive(Serialize)]
struct IdCardView {
    portrait_id: String,
    status: PortraitStatus,
    /// Why the photo cannot serve (unusable: retake it) or why its text was not read.
    problem: Option<ProblemView>,
    read: Option<ReadView>,
}

#[derive(Serialize)]
struct ProblemView {
    code: CardProblem,
    message_zh: &'static str,
    message_en: &'static str,
}

#[derive(Serialize)]
struct ReadView {
    name: String,
    id_number: String,
}

/// `GET /v1/me`: whether the student has verified who they are (masked), and what their
/// ID card says.
pub async fn me(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let table = &app.store.table;
    let student = table.student(ctx.student()?).await?;
    let identity = student.as_ref().and_then(|s| s.identity.as_ref());
    let portrait = student.as_ref().and_then(|s| s.portrait.clone());
    let id_card = match &portrait {
        Some(portrait) => Some(IdCardView {
            portrait_id: portrait.id.to_string(),
            status: portrait.status,
            problem: portrait.problem.map(|code| ProblemView {
                code,
                message_zh: code.message_zh(),
                message_en: code.message_en(),
            }),
            read: match card_text(app, portrait).await? {
                Some(CardText::Read { name, id_number }) => Some(ReadView {
                    name,
                    id_number: id_number.as_str().to_owned(),
                }),
                _ => None,
            },
        }),
        None => None,
    };
    Reply::ok(Profile {
        verified: identity.is_some(),
        name: identity.map(|i| mask_name(&i.name)),
        id_number: identity.map(|i| i.id_number.masked()),
        portrait: portrait.map(|p| p.status),
        id_card,
    })
}

/// What a usable card says, as the processor read it.
async fn card_text(app: &App, portrait: &Portrait) -> ApiResult<Option<CardText>> {
    match PortraitChecked::of(portrait) {
        Some(checked) if portrait.status == PortraitStatus::Usable => {
            Ok(app.store.table.card_text(&checked).await?)
        }
        _ => Ok(None),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityBody {
    name: String,
    id_number: String,
    /// The ID-card photo (身份证人像面) the student confirmed name and number from.
    portrait_id: String,
    /// Consent to the privacy notice, unless given with the ID card's upload.
    #[serde(default)]
    consent: Option<ConsentBody>,
}

/// The ID card's upload: the file, and the consent that must come first.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PortraitBody {
    content_type: String,
    content_length: u64,
    #[serde(default)]
    consent: Option<ConsentBody>,
}

#[derive(Serialize)]
struct IdentityReply {
    name: String,
    id_number: String,
    /// Whether the card reads what was confirmed (`matches`), or the reviewer will be told
    /// (`id_card_mismatch`, `id_card_unread`).
    id_card: CardCheck,
}

/// `POST /v1/identity`: the student confirms the name and number read from their ID card
/// (corrected where the reading was wrong); they are checked with the provider and stored
/// sealed. The card must have been read: its face is what the photo is matched against. A
/// confirmation that differs from the card, or a card whose text was not read, goes on and
/// is shown to the reviewer. One account is one person, and one person has one account; the
/// provider is paid once per person, never for a pair whose answer is already known here.
pub async fn verify_identity(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let openid = ctx.student()?;
    let body: IdentityBody = ctx.json(JSON_LIMIT)?;
    let name = domain::text::required("name", &body.name, 50)?;
    let id_number = IdNumber::parse(&body.id_number, china::date(ctx.now))
        .map_err(errors::invalid_id_number)?;
    consent::required(app, ctx, openid, body.consent.as_ref()).await?;
    let table = &app.store.table;
    let student = table.student(openid).await?;
    let portrait = student
        .as_ref()
        .and_then(|s| s.portrait.clone())
        .filter(|p| p.id.to_string() == body.portrait_id)
        .ok_or_else(errors::id_card_required)?;
    match (portrait.status, portrait.problem) {
        (PortraitStatus::Pending, _) => return Err(errors::id_card_pending()),
        (PortraitStatus::Unusable, problem) => {
            return Err(errors::id_card_unusable(
                problem.unwrap_or(CardProblem::NoFace),
            ));
        }
        (PortraitStatus::Usable, _) => {}
    }
    let check = card_text(app, &portrait)
        .await?
        .map_or(CardCheck::Unread, |text| text.check(&name, &id_number));
    let reply = IdentityReply {
        name: mask_name(&name),
        id_number: id_number.masked(),
        id_card: check,
    };
    match student.and_then(|s| s.identity) {
        // A repeat (or a confirmation after a retaken card): nothing to check or write.
        Some(held) if held.name == name && held.id_number == id_number => {
            return Reply::ok(reply);
        }
        Some(_) => return Err(errors::identity_already_verified()),
        None => check_with_provider(app, ctx, openid, &name, &id_number).await?,
    }
    let student = Student {
        openid: openid.to_owned(),
        identity: Some(VerifiedIdentity {
            name: name.clone(),
            id_number: id_number.clone(),
            verified_at: ctx.now,
        }),
        portrait: Some(portrait),
    };
    table.put_student(&student).await.map_err(|e| match e {
        StoreError::AlreadyExists { .. } => errors::identity_already_verified(),
        StoreError::IdentityInUse => errors::identity_in_use(),
        StoreError::PortraitHeld => errors::portrait_locked(),
        other => other.into(),
    })?;
    Reply::ok(reply)
}

/// Whether `name` holds `id_number`, for an account not yet verified. Every check counts
/// against the account's budget, reserved before anything is looked up. What the provider
/// already answered is answered here: a number another account holds from that account's
/// record, a refuted pair from the month's refutations. Only then is the service's daily
/// budget reserved and the provider asked: never twice for one pair.
async fn check_with_provider(
    app: &App,
    ctx: &Ctx<'_>,
    openid: &str,
    name: &str,
    id_number: &IdNumber,
) -> ApiResult<()> {
    let table = &app.store.table;
    Budget::new(table, &limits::IDENTITY, openid, ctx.now)
        .reserve()
        .await?;
    if holder_of(app, name, id_number).await?.is_some() {
        return Err(errors::identity_in_use());
    }
    // A pair the provider already refuted is not paid for again.
    if table.is_refuted(name, id_number, ctx.now).await? {
        return Err(errors::identity_mismatch());
    }
    let daily = limits::identity_daily(app.identity_checks_per_day);
    Budget::new(table, &daily, limits::SERVICE, ctx.now)
        .reserve_or(errors::identity_checks_exhausted)
        .await?;
    let verdict = app.verifier.verify(name, id_number).await.map_err(|e| {
        tracing::warn!(reason = %e, "identity provider unavailable");
        ApiError::unavailable("身份核验服务", "The identity check")
    })?;
    if verdict != Verification::Match {
        table.remember_refuted(name, id_number, ctx.now).await?;
        return Err(errors::identity_mismatch());
    }
    Ok(())
}

/// The account that holds `id_number`, when `name` is the name it was verified with. The
/// right pair learns that it is taken; a wrong one gets the answer the provider gave.
async fn holder_of(app: &App, name: &str, id_number: &IdNumber) -> ApiResult<Option<String>> {
    let table = &app.store.table;
    let Some(holder) = table.identity_owner(id_number).await? else {
        return Ok(None);
    };
    let held = table.student(&holder).await?.and_then(|s| s.identity);
    if held.is_some_and(|h| h.name == name) {
        Ok(Some(holder))
    } else {
        Err(errors::identity_mismatch())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    name: String,
    id_number: String,
    /// The request checks a name and an ID number: the same consent as the identity check.
    #[serde(default)]
    consent: Option<ConsentBody>,
}

/// `POST /v1/identity/transfer-requests`: a student whose identity another account holds (a
/// WeChat account they no longer use) asks an operator to move it, with its cases, to this
/// account. Only an operator, after checking who they are, can approve: knowing a name and a
/// number is not enough. Each request counts as an identity check.
pub async fn request_transfer(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let openid = ctx.student()?;
    let body: TransferBody = ctx.json(JSON_LIMIT)?;
    let name = domain::text::required("name", &body.name, 50)?;
    let id_number = IdNumber::parse(&body.id_number, china::date(ctx.now))
        .map_err(errors::invalid_id_number)?;
    consent::required(app, ctx, openid, body.consent.as_ref()).await?;
    let table = &app.store.table;
    if table
        .student(openid)
        .await?
        .and_then(|s| s.identity)
        .is_some()
    {
        return Err(errors::identity_already_verified());
    }
    Budget::new(table, &limits::IDENTITY, openid, ctx.now)
        .reserve()
        .await?;
    let Some(holder) = holder_of(app, &name, &id_number).await? else {
        return Err(errors::identity_not_in_use());
    };
    let kind = RequestKind::Transfer {
        from: holder,
        to: openid.to_owned(),
    };
    let request = table.ask_operator(kind, ctx.now).await?;
    Reply::accepted(RequestView::of(&request))
}

/// `POST /v1/identity/portrait`: where to upload a photo of the ID card's portrait side, the
/// first step of identity verification (and a retake). The photo processor reads it; the
/// student then confirms what it says with `POST /v1/identity`.
pub async fn new_portrait(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let openid = ctx.student()?;
    let body: PortraitBody = ctx.json(JSON_LIMIT)?;
    let file = UploadRequest {
        content_type: body.content_type,
        content_length: body.content_length,
    };
    let image_type = file.validate()?;
    // No card is read, and no face described, without the student's consent.
    consent::required(app, ctx, openid, body.consent.as_ref()).await?;
    let table = &app.store.table;
    Budget::new(table, &limits::CARD_PHOTOS, openid, ctx.now)
        .reserve()
        .await?;
    let mut student = table.student(openid).await?.unwrap_or_else(|| Student {
        openid: openid.to_owned(),
        identity: None,
        portrait: None,
    });
    let portrait = pending_portrait();
    student.portrait = Some(portrait.clone());
    table.put_student(&student).await.map_err(|e| match e {
        StoreError::PortraitHeld => errors::portrait_locked(),
        other => other.into(),
    })?;
    let upload = presign_portrait(app, &portrait, image_type, &file).await?;
    Reply::ok(serde_json::json!({
        "portrait_id": portrait.id.to_string(),
        "upload": upload,
    }))
}

/// A new portrait, waiting for its upload: each upload URL gets a key of its own, so a retake
/// never overwrites the photo a reviewer may be looking at.
fn pending_portrait() -> Portrait {
    Portrait {
        id: PortraitId::new(),
        status: PortraitStatus::Pending,
        sha256: None,
        problem: None,
    }
}

async fn presign_portrait(
    app: &App,
    portrait: &Portrait,
    image_type: ImageType,
    file: &UploadRequest,
) -> ApiResult<PresignedUpload> {
    Ok(app
        .store
        .objects
        .presign_upload(
            UploadKey::Portrait(portrait.id),
            image_type,
            file.content_length,
        )
        .await?)
}
