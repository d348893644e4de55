//! A batch's archive, built from its members as they are stored: the same members give the
//! same bytes, so a retried delivery is recognisably the same batch.

use chsi::{Archive, ArchiveError, Entry, GatewayError};
use domain::{AttemptId, Collection, CollectionId, CollectionTask, PublishBatch};
use store::{StoreError, Table};

/// Why a batch did not reach the receiver. Messages name cases by id only.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Undelivered {
    /// Not the batch's fault: the run stops and the next one tries again.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("case {0} has no approved photo")]
    NoApprovedPhoto(CollectionId),
    #[error("case {case}: the standardised photo of attempt {attempt} is missing")]
    MissingPhoto {
        case: CollectionId,
        attempt: AttemptId,
    },
    #[error("case {0}: its enrollment is missing")]
    NoEnrollment(CollectionId),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

impl Undelivered {
    /// Only an unavailable receiver may sort itself out; anything else needs an operator.
    pub(crate) fn needs_operator(&self) -> bool {
        !matches!(self, Self::Gateway(GatewayError::Unavailable(_)))
    }
}

/// The cases that joined `batch`: those it lists whose own `batch_id` names it. The list may
/// hold candidates that never joined (a run died while forming the batch); the cases decide.
pub(crate) async fn members(
    table: &Table,
    batch: &PublishBatch,
) -> Result<Vec<Collection>, StoreError> {
    let mut members = Vec::with_capacity(batch.collections.len());
    for id in &batch.collections {
        let case = table.collection(*id).await?;
        if case.batch_id == Some(batch.id) {
            members.push(case);
        }
    }
    Ok(members)
}

/// The archive of `batch` with `members`, each with its enrollment and approved photo.
pub(crate) async fn archive(
    store: &store::Store,
    batch: &PublishBatch,
    members: &[Collection],
) -> Result<Archive, Undelivered> {
    let task = store.table.task(batch.task_id).await?;
    let mut entries = Vec::with_capacity(members.len());
    for case in members {
        entries.push(entry(store, &task, case).await?);
    }
    Ok(Archive::build(&chsi::Batch {
        id: batch.id.to_string(),
        task_id: task.id.to_string(),
        session_code: task.session_code.as_str().to_owned(),
        entries,
    })?)
}

async fn entry(
    store: &store::Store,
    task: &CollectionTask,
    case: &Collection,
) -> Result<Entry, Undelivered> {
    let attempt = case
        .review
        .as_ref()
        .map(|review| review.attempt_id)
        .ok_or(Undelivered::NoApprovedPhoto(case.id))?;
    let missing = || Undelivered::MissingPhoto {
        case: case.id,
        attempt,
    };
    // The photo the verdict was made from, named by the digest recorded with it (or its
    // retoucher's correction, named by its own).
    let checked = store
        .table
        .checked(case.id, attempt)
        .await?
        .ok_or_else(missing)?;
    let photo = store
        .objects
        .read_photo_object(&store::approved_photo_key(case, &checked))
        .await?
        .ok_or_else(missing)?;
    let enrollment = match store.table.enrollment(task.id, &case.student_number).await {
        Ok(enrollment) => enrollment,
        Err(StoreError::NotFound { .. }) => return Err(Undelivered::NoEnrollment(case.id)),
        Err(error) => return Err(error.into()),
    };
    Ok(Entry {
        collection_id: case.id.to_string(),
        chsi_code: enrollment.chsi_code,
        name: enrollment.name,
        // The receiver needs no more of the ID number than the masked form to match a row.
        masked_id: enrollment.id_number.masked(),
        student_number: case.student_number.clone(),
        school: task.school.clone(),
        level: task.education_level.name_zh().to_owned(),
        photo,
    })
}
