//! What several routes check before they act: who may see a case, whether the caller is a
//! verified student, whether the session is open, and what an upload may be.

use domain::{Collection, CollectionId, CollectionTask, Session, VerifiedIdentity};
use serde::Deserialize;
use store::ImageType;
use time::OffsetDateTime;
use web::{ApiError, ApiResult, Ctx};

use crate::App;
use crate::auth::Role;
use crate::errors;

pub fn collection_id(ctx: &Ctx<'_>) -> ApiResult<CollectionId> {
    ctx.param(0)
        .parse()
        .map_err(|_| ApiError::not_found("采集记录", "Collection"))
}

/// The case, if the caller may see it: its owner, or an operator.
pub async fn visible_case(app: &App, ctx: &Ctx<'_>) -> ApiResult<Collection> {
    let id = collection_id(ctx)?;
    let case = app.store.table.collection(id).await.map_err(|e| match e {
        store::StoreError::NotFound { .. } => ApiError::not_found("采集记录", "Collection"),
        other => other.into(),
    })?;
    let principal = ctx.principal()?;
    if principal.role == Role::Student && case.owner != principal.subject {
        return Err(ApiError::forbidden());
    }
    Ok(case)
}

/// The verified student, or 403: a case is only ever opened for someone whose identity the
/// provider confirmed, because the reviewer compares the photo with their ID card.
pub async fn verified(app: &App, ctx: &Ctx<'_>) -> ApiResult<(String, VerifiedIdentity)> {
    let openid = ctx.student()?;
    let identity = app
        .store
        .table
        .student(openid)
        .await?
        .and_then(|s| s.identity)
        .ok_or_else(errors::identity_required)?;
    Ok((openid.to_owned(), identity))
}

/// Students link, and upload, only while the task's session is open.
pub fn session_open(task: &CollectionTask, now: OffsetDateTime) -> ApiResult<()> {
    match task.session(now) {
        Session::Open => Ok(()),
        Session::NotYetOpen => Err(errors::session_not_open(task.opens_at.date())),
        Session::Closed => Err(errors::session_closed(task.closes_at.date())),
    }
}

/// The file the client is about to upload, so the URL can be bound to its type and length.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    pub content_type: String,
    pub content_length: u64,
}

impl UploadRequest {
    pub fn validate(&self) -> ApiResult<ImageType> {
        let image_type = ImageType::from_content_type(&self.content_type)
            .ok_or_else(errors::unsupported_format)?;
        if self.content_length == 0 {
            return Err(errors::empty_file());
        }
        if self.content_length > store::objects::MAX_UPLOAD_BYTES {
            return Err(errors::file_too_large());
        }
        Ok(image_type)
    }
}
