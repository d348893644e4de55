//! The privacy notice and the student's consent to it (PIPL Art. 28–29): read with
//! `GET /v1/privacy-notice`, given with the first request that starts processing sensitive
//! data (the ID card's upload or the identity check), recorded once per notice version, and
//! required by both.

use domain::privacy::{self, Consent, ConsentError, Purpose};
use serde::Deserialize;
use web::{ApiError, ApiResult, Ctx, Reply};

use crate::{App, errors};

/// Consent as a request carries it: the notice version the student read, and each purpose
/// they agreed to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    notice_version: String,
    purposes: Vec<Purpose>,
}

/// Records the consent a request carries, if any; then the student must have consented to
/// the current notice, now or before.
pub async fn required(
    app: &App,
    ctx: &Ctx<'_>,
    openid: &str,
    given: Option<&ConsentBody>,
) -> ApiResult<()> {
    let table = &app.store.table;
    if let Some(body) = given {
        let consent =
            Consent::given(&body.notice_version, &body.purposes, ctx.now).map_err(refused)?;
        table.put_consent(openid, &consent).await?;
        return Ok(());
    }
    match table.consent(openid, privacy::current().version).await? {
        Some(_) => Ok(()),
        None => Err(refused(ConsentError::Missing {
            missing: Purpose::ALL.to_vec(),
        })),
    }
}

fn refused(error: ConsentError) -> ApiError {
    let missing = match &error {
        ConsentError::Missing { missing } => missing.clone(),
        ConsentError::NotCurrent { .. } => Purpose::ALL.to_vec(),
    };
    errors::consent_required(privacy::current().version, &missing)
}

/// `GET /v1/privacy-notice[?version=]`: the current notice, or a past one by its version.
pub async fn notice(_app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let notice = match ctx.query_value("version") {
        None => privacy::current(),
        Some(version) => privacy::notice(version)
            .ok_or_else(|| ApiError::not_found("个人信息处理规则", "Privacy notice"))?,
    };
    Reply::ok(serde_json::json!({
        "version": notice.version,
        "published": notice.published,
        "current": notice.version == privacy::current().version,
        "purposes": Purpose::ALL,
        "text_zh": notice.text_zh,
    }))
}
