//! Face descriptors and ID-card portraits (DESIGN §5, §7).
//!
//! The photo processor stores the descriptor of each passed attempt and of each ID-card
//! portrait, so the face match at submission compares two stored vectors and never loads a
//! model. A descriptor is biometric data: it is sealed like a name or an ID number.

use aws_sdk_dynamodb::types::TransactWriteItem;
use domain::{AttemptId, CardProblem, FaceGap, FaceMatch, Portrait, PortraitId, PortraitStatus};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::evidence::{Checked, Digest, PortraitChecked};
use crate::expiring::update_held;
use crate::keys;
use crate::table::{Table, from_record, record, s};

const FACE: &str = "face";
const PORTRAIT: &str = "portrait";

/// Whose face a descriptor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceOf {
    /// The face on one checked upload of an attempt: a replayed upload read by another
    /// delivery has another digest, so it never replaces the descriptor of the verdict.
    Attempt(AttemptId, Digest),
    /// The face on one checked upload of an ID-card portrait, likewise.
    Portrait(PortraitId, Digest),
}

impl FaceOf {
    fn id(self) -> String {
        match self {
            Self::Attempt(id, digest) => format!("{id}#{digest}"),
            Self::Portrait(id, digest) => format!("{id}#{digest}"),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct FaceRecord {
    descriptor_sealed: String,
}

#[derive(Serialize, Deserialize)]
struct PortraitRecord {
    openid: String,
}

fn seal_context(face: FaceOf) -> String {
    format!("face/{}", face.id())
}

impl Table {
    /// Stores (or replaces: the same upload gives the same vector) a face descriptor.
    pub async fn put_face(&self, face: FaceOf, descriptor: &[f32]) -> Result<(), StoreError> {
        let plain = serde_json::to_string(descriptor).map_err(StoreError::request)?;
        let sealed = FaceRecord {
            descriptor_sealed: self.pii()?.seal_biometric(&seal_context(face), &plain),
        };
        self.put_unconditional(record(FACE, keys::face(face.id()), &sealed)?)
            .await
    }

    /// Deletes a descriptor that is no one's evidence (see [`Table::put_face`]).
    pub async fn delete_face(&self, face: FaceOf) -> Result<(), StoreError> {
        self.delete_unconditional(keys::face(face.id())).await
    }

    pub async fn face(&self, face: FaceOf) -> Result<Option<Vec<f32>>, StoreError> {
        let Some(item) = self.get(keys::face(face.id())).await? else {
            return Ok(None);
        };
        let r: FaceRecord = from_record(FACE, item)?;
        let plain = self
            .pii()?
            .open_biometric(&seal_context(face), &r.descriptor_sealed)?;
        serde_json::from_str(&plain)
            .map(Some)
            .map_err(|e| StoreError::corrupt(FACE, e))
    }

    /// The face match of a submitted attempt against its student's ID-card portrait. Whatever
    /// is missing (no portrait, one still processing or without a face, a descriptor) is a
    /// [`FaceMatch::Unavailable`] for the reviewer, never an error.
    /// `portrait` is the student's current one, read by the caller, who holds it for the case
    /// in the same transaction that records the match ([`crate::Along::HoldPortrait`]).
    /// `checked` is what the attempt's verdict was made from ([`Table::checked`]).
    pub async fn face_match(
        &self,
        portrait: Option<&Portrait>,
        checked: Option<&Checked>,
    ) -> Result<FaceMatch, StoreError> {
        let gap = |gap| Ok(FaceMatch::Unavailable { gap });
        let Some(portrait) = portrait else {
            return gap(FaceGap::NoPortrait);
        };
        match portrait.status {
            PortraitStatus::Pending => return gap(FaceGap::PortraitPending),
            PortraitStatus::Unusable => return gap(FaceGap::PortraitUnusable),
            PortraitStatus::Usable => {}
        }
        let (Some(checked), Some(decided)) = (checked, PortraitChecked::of(portrait)) else {
            return gap(FaceGap::NoDescriptor);
        };
        let (photo, id_card) = futures_util::future::try_join(
            self.face(FaceOf::Attempt(checked.attempt, checked.digest)),
            self.face(FaceOf::Portrait(decided.portrait, decided.digest)),
        )
        .await?;
        match (photo, id_card) {
            (Some(photo), Some(id_card)) => Ok(FaceMatch::compare(&photo, &id_card)),
            _ => gap(FaceGap::NoDescriptor),
        }
    }

    /// Remembers whose portrait an upload key is (an S3 event names only the key), as one
    /// item of the transaction that writes the student's record.
    pub(crate) fn portrait_owner_put(
        &self,
        portrait: PortraitId,
        openid: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let owner = PortraitRecord {
            openid: openid.to_owned(),
        };
        self.put(
            record(PORTRAIT, keys::portrait(portrait), &owner)?,
            "attribute_not_exists(#pk) OR #openid = :openid",
            &[("#pk", keys::PK), ("#openid", "openid")],
            &[(":openid", s(openid))],
        )
    }

    /// The portrait's pointer, moved from account `from` to account `to` (an operator's
    /// transfer), if it still points at `from`.
    pub(crate) fn portrait_owner_moved(
        &self,
        portrait: PortraitId,
        from: &str,
        to: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let owner = PortraitRecord {
            openid: to.to_owned(),
        };
        self.put(
            record(PORTRAIT, keys::portrait(portrait), &owner)?,
            "#openid = :from",
            &[("#openid", "openid")],
            &[(":from", s(from))],
        )
    }

    /// The openid of the student a portrait upload was issued to.
    pub async fn portrait_owner(&self, portrait: PortraitId) -> Result<Option<String>, StoreError> {
        let Some(item) = self.get(keys::portrait(portrait)).await? else {
            return Ok(None);
        };
        let r: PortraitRecord = from_record(PORTRAIT, item)?;
        Ok(Some(r.openid))
    }

    /// Records what the processor found on a pending portrait. Returns false, changing nothing,
    /// when the student's current portrait is another one (a newer upload) or was already
    /// decided, so a late or repeated event never overwrites a newer result.
    /// `checked` names the bytes decided on; the decision records its digest, and `problem`
    /// why the card cannot serve or was not read.
    pub async fn decide_portrait(
        &self,
        openid: &str,
        checked: &PortraitChecked,
        status: PortraitStatus,
        problem: Option<CardProblem>,
    ) -> Result<bool, StoreError> {
        let word = |value: serde_json::Value, what| {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or(StoreError::Invalid(what))
        };
        let status = word(
            serde_json::to_value(status).map_err(StoreError::request)?,
            "portrait status",
        )?;
        let (set_problem, problem) = match problem {
            Some(problem) => (
                ", #p.#problem = :problem",
                Some(word(
                    serde_json::to_value(problem).map_err(StoreError::request)?,
                    "card problem",
                )?),
            ),
            None => ("", None),
        };
        let update = self
            .update(keys::student(openid))
            .update_expression(format!(
                "SET #p.#status = :status, #p.#sha = :sha{set_problem}"
            ))
            .condition_expression("#p.#id = :id AND #p.#status = :pending")
            .expression_attribute_names("#p", "portrait")
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#sha", "sha256")
            .expression_attribute_values(":id", s(checked.portrait.to_string()))
            .expression_attribute_values(":sha", s(checked.digest.to_string()))
            .expression_attribute_values(":status", s(status))
            .expression_attribute_values(":pending", s("pending"));
        let update = match problem {
            Some(problem) => update
                .expression_attribute_names("#problem", "problem")
                .expression_attribute_values(":problem", s(problem)),
            None => update,
        };
        update_held(update.send().await)
    }
}
