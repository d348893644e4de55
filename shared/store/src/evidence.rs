//! What the photo processor checked, by content: the sha256 of the exact bytes it read names
//! every object it made from them (a copy of those bytes, the standardised photo, the report,
//! the face descriptor), and the digest is recorded in the same transaction as the verdict.
//! A presigned upload can be replayed for minutes, and two deliveries of one upload may run
//! at once; whichever bytes they read, the verdict on record names its own objects, and
//! reviewers and the publisher read only those.

use std::fmt;

use domain::{AttemptId, CollectionId, Portrait, PortraitId};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::StoreError;
use crate::keys;
use crate::table::{Table, from_record};

const EVIDENCE: &str = "evidence";

/// The sha256 of a file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl std::str::FromStr for Digest {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || StoreError::corrupt(EVIDENCE, "not a sha256 in hex");
        if s.len() != 64 || !s.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Self(out))
    }
}

/// One checked upload of an attempt, and the keys of what was made from it (photos bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub collection: CollectionId,
    pub attempt: AttemptId,
    pub digest: Digest,
}

impl Checked {
    /// The exact bytes the engine read, copied where no presigned URL can reach.
    pub fn original_key(&self) -> String {
        format!(
            "checked/{}/{}/{}",
            self.collection, self.attempt, self.digest
        )
    }

    pub fn standardised_key(&self) -> String {
        format!(
            "standardised/{}/{}/{}.jpg",
            self.collection, self.attempt, self.digest
        )
    }

    /// The upload as the student took it, small, for them to see.
    pub fn preview_key(&self) -> String {
        format!(
            "previews/{}/{}/{}.jpg",
            self.collection, self.attempt, self.digest
        )
    }

    pub fn report_key(&self) -> String {
        format!(
            "reports/{}/{}/{}.json",
            self.collection, self.attempt, self.digest
        )
    }
}

/// A retoucher's corrected photo of a case's submitted attempt, by its sha256: what goes to
/// review beside the standardised photo and, if approved, to 学信网.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetouchedKey {
    pub collection: CollectionId,
    pub attempt: AttemptId,
    pub digest: Digest,
}

impl RetouchedKey {
    pub fn photo_key(&self) -> String {
        format!(
            "retouched/{}/{}/{}.jpg",
            self.collection, self.attempt, self.digest
        )
    }

    /// What the engine said of the latest upload for this attempt (whichever bytes): the
    /// retoucher reads why a correction was refused here.
    pub fn check_key(collection: CollectionId, attempt: AttemptId) -> String {
        format!("retouch-checks/{collection}/{attempt}.json")
    }

    /// The retouched photo a case records, if any.
    pub fn of(case: &domain::Collection) -> Option<Self> {
        let retouch = case.retouch.as_ref()?;
        let digest = retouch.retouched.as_ref()?.sha256.parse().ok()?;
        Some(Self {
            collection: case.id,
            attempt: retouch.attempt_id,
            digest,
        })
    }
}

/// The key of the photo a reviewer approved on `case`, whose verdict `checked` is: the
/// retoucher's photo when that attempt was retouched, else the standardised one.
pub fn approved_photo_key(case: &domain::Collection, checked: &Checked) -> String {
    match RetouchedKey::of(case) {
        Some(retouched) if retouched.attempt == checked.attempt => retouched.photo_key(),
        _ => checked.standardised_key(),
    }
}

/// One checked upload of an ID-card portrait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortraitChecked {
    pub portrait: PortraitId,
    pub digest: Digest,
}

impl PortraitChecked {
    /// The exact bytes the processor described, copied where no presigned URL can reach.
    pub fn copy_key(&self) -> String {
        format!("checked-portraits/{}/{}", self.portrait, self.digest)
    }

    /// What the student's portrait was decided on; `None` while it is pending.
    pub fn of(portrait: &Portrait) -> Option<Self> {
        let digest = portrait.sha256.as_deref()?.parse().ok()?;
        Some(Self {
            portrait: portrait.id,
            digest,
        })
    }
}

/// The portrait a submission's face match was computed against.
#[derive(Serialize, Deserialize)]
pub(crate) struct MatchedRecord {
    pub portrait: String,
    pub sha256: String,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct EvidenceRecord {
    pub sha256: String,
}

impl EvidenceRecord {
    pub(crate) fn entity() -> &'static str {
        EVIDENCE
    }
}

impl Table {
    /// The portrait the face match of `attempt`'s submission was computed against, written
    /// with the submission ([`crate::Along::MatchedPortrait`]).
    pub async fn matched_portrait(
        &self,
        attempt: AttemptId,
    ) -> Result<Option<PortraitChecked>, StoreError> {
        let Some(item) = self.get(keys::matched_portrait(attempt)).await? else {
            return Ok(None);
        };
        let r: MatchedRecord = from_record(EVIDENCE, item)?;
        Ok(Some(PortraitChecked {
            portrait: r
                .portrait
                .parse()
                .map_err(|_| StoreError::corrupt(EVIDENCE, "portrait id"))?,
            digest: r.sha256.parse()?,
        }))
    }

    /// What the verdict on record for `attempt` was made from; `None` before a verdict.
    pub async fn checked(
        &self,
        collection: CollectionId,
        attempt: AttemptId,
    ) -> Result<Option<Checked>, StoreError> {
        let Some(item) = self.get(keys::evidence(attempt)).await? else {
            return Ok(None);
        };
        let r: EvidenceRecord = from_record(EVIDENCE, item)?;
        Ok(Some(Checked {
            collection,
            attempt,
            digest: r.sha256.parse()?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_reads_back_from_its_hex() {
        let d = Digest::of(b"abc");
        let hex = d.to_string();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex.parse::<Digest>().unwrap(), d);
        assert!("zz".parse::<Digest>().is_err());
    }
}
