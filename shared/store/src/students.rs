//! Students, with their verified identity sealed.

use domain::{IdNumber, Portrait, Student, VerifiedIdentity};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::enrollments::ID_NUMBER_INDEX;
use crate::keys::{self, GSI2_PK, GSI2_SK};
use crate::table::{Item, Table, Transact, from_record, n, record, s};

const ENTITY: &str = "student";
const IDENTITY_OWNER: &str = "identity owner";
/// The cases (a string set of ids) whose review rests on the student's current portrait.
pub(crate) const PORTRAIT_HOLDS: &str = "portrait_holds";
/// The student record is written only while no case holds the portrait: it never carries
/// the holds itself, so a write under this condition loses none.
const NOT_HELD: &str = "(attribute_not_exists(#holds) OR size(#holds) = :zero)";
const REFUTED: &str = "refuted pair";
/// The index space of name-and-number pairs (see `PiiKeys::blind_index`).
const PAIR_INDEX: &str = "name_id_pair";
/// How long a refuted pair is answered from the table: a month, long past any retry, short
/// enough that a corrected record at the provider is asked again in the next season.
pub const REFUTED_FOR: time::Duration = time::Duration::days(30);

#[derive(Serialize, Deserialize)]
struct RefutedRecord {
    /// Unix seconds; the table's TTL attribute.
    expires_at: i64,
}

/// Which account holds an ID number (keyed by its blind index, so it names no one).
#[derive(Serialize, Deserialize)]
struct OwnerRecord {
    openid: String,
}

#[derive(Serialize, Deserialize)]
struct StudentRecord {
    openid: String,
    identity: Option<SealedIdentity>,
    portrait: Option<Portrait>,
}

#[derive(Serialize, Deserialize)]
struct SealedIdentity {
    name_sealed: String,
    id_number_sealed: String,
    #[serde(with = "time::serde::rfc3339")]
    verified_at: OffsetDateTime,
}

fn seal_context(openid: &str, field: &str) -> String {
    format!("student/{openid}/{field}")
}

impl Table {
    /// Creates or replaces a student's record, in one transaction with what hangs on it:
    /// - a verified identity is never swapped for another: once a record holds an ID number,
    ///   only a record with the same number (a repeated verification, a new portrait) may
    ///   replace it, else [`StoreError::AlreadyExists`];
    /// - the portrait is not replaced while a case in review or later holds it
    ///   ([`crate::Along::HoldPortrait`]), else [`StoreError::PortraitHeld`];
    /// - an ID number belongs to one account: its owner item is written under the condition
    ///   that no other account holds it, else [`StoreError::IdentityInUse`];
    /// - the portrait's pointer back to the student (an S3 event names only the key) exists
    ///   exactly when the record naming the portrait does.
    pub async fn put_student(&self, student: &Student) -> Result<(), StoreError> {
        let openid = &student.openid;
        let (item, blind) = self.student_item(student)?;
        let mut items = Vec::new();
        match &blind {
            Some(blind) => {
                let index = keys::id_number_index(blind);
                items.push(self.put(
                    item,
                    &format!("(attribute_not_exists(#index) OR #index = :index) AND {NOT_HELD}"),
                    &[("#index", GSI2_PK), ("#holds", PORTRAIT_HOLDS)],
                    &[(":index", s(index)), (":zero", n(0))],
                )?);
                items.push(self.put(
                    self.identity_owner_item(blind, openid)?,
                    "attribute_not_exists(#pk) OR #openid = :openid",
                    &[("#pk", keys::PK), ("#openid", "openid")],
                    &[(":openid", s(openid))],
                )?);
            }
            None => items.push(self.put(
                item,
                &format!("attribute_not_exists(#index) AND {NOT_HELD}"),
                &[("#index", GSI2_PK), ("#holds", PORTRAIT_HOLDS)],
                &[(":zero", n(0))],
            )?),
        }
        if let Some(portrait) = &student.portrait {
            items.push(self.portrait_owner_put(portrait.id, openid)?);
        }
        let Err(failure) = self.transact(items).await else {
            return Ok(());
        };
        let failed = match failure {
            Transact::ConditionFailed(failed) => failed,
            Transact::Failed(e) => return Err(e),
        };
        // Which condition failed; when the service does not say, the owner item does.
        let taken = match failed.get(1) {
            Some(&taken) => taken && blind.is_some(),
            None => match &blind {
                Some(blind) => self
                    .owner_of(blind)
                    .await?
                    .is_some_and(|owner| &owner != openid),
                None => false,
            },
        };
        if taken {
            return Err(StoreError::IdentityInUse);
        }
        // The student item's condition: another identity, or a held portrait.
        let held = self.student(openid).await?.and_then(|s| s.identity);
        let same = match (&held, &student.identity) {
            (Some(a), Some(b)) => a.id_number == b.id_number,
            (None, _) => true,
            (Some(_), None) => false,
        };
        Err(if same {
            StoreError::PortraitHeld
        } else {
            StoreError::AlreadyExists {
                entity: "verified identity",
                id: openid.clone(),
            }
        })
    }

    /// The student's record as stored (identity sealed, indexed under its ID number's blind
    /// index), and that blind index.
    pub(crate) fn student_item(
        &self,
        student: &Student,
    ) -> Result<(Item, Option<String>), StoreError> {
        let openid = &student.openid;
        let identity = match &student.identity {
            Some(id) => {
                let pii = self.pii()?;
                Some(SealedIdentity {
                    name_sealed: pii.seal(&seal_context(openid, "name"), &id.name),
                    id_number_sealed: pii
                        .seal(&seal_context(openid, "id_number"), id.id_number.as_str()),
                    verified_at: id.verified_at,
                })
            }
            None => None,
        };
        let record_ = StudentRecord {
            openid: openid.clone(),
            identity,
            portrait: student.portrait.clone(),
        };
        let mut item = record(ENTITY, keys::student(openid), &record_)?;
        let blind = student
            .identity
            .as_ref()
            .map(|id| self.id_number_blind(&id.id_number))
            .transpose()?;
        if let Some(blind) = &blind {
            item.insert(GSI2_PK.into(), s(keys::id_number_index(blind)));
            item.insert(GSI2_SK.into(), s(keys::STUDENT_IN_INDEX));
        }
        Ok((item, blind))
    }

    /// The item saying that account `openid` holds the ID number of blind index `blind`.
    pub(crate) fn identity_owner_item(
        &self,
        blind: &str,
        openid: &str,
    ) -> Result<Item, StoreError> {
        record(
            IDENTITY_OWNER,
            keys::identity_owner(blind),
            &OwnerRecord {
                openid: openid.to_owned(),
            },
        )
    }

    /// The cases holding `openid`'s portrait, as stored (a string set), if any.
    pub(crate) async fn portrait_holds(
        &self,
        openid: &str,
    ) -> Result<Option<aws_sdk_dynamodb::types::AttributeValue>, StoreError> {
        Ok(self
            .get(keys::student(openid))
            .await?
            .and_then(|mut item| item.remove(PORTRAIT_HOLDS)))
    }

    /// The account that holds the verified identity with this ID number, if any.
    pub async fn identity_owner(&self, id_number: &IdNumber) -> Result<Option<String>, StoreError> {
        self.owner_of(&self.id_number_blind(id_number)?).await
    }

    async fn owner_of(&self, blind: &str) -> Result<Option<String>, StoreError> {
        let Some(item) = self.get(keys::identity_owner(blind)).await? else {
            return Ok(None);
        };
        Ok(Some(
            from_record::<OwnerRecord>(IDENTITY_OWNER, item)?.openid,
        ))
    }

    /// Remembers for [`REFUTED_FOR`] that the provider said `name` does not hold `id_number`,
    /// so the same wrong pair is never paid for twice.
    pub async fn remember_refuted(
        &self,
        name: &str,
        id_number: &IdNumber,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let expires = now + REFUTED_FOR;
        let item = record(
            REFUTED,
            keys::refuted_pair(&self.pair_blind(name, id_number)?),
            &RefutedRecord {
                expires_at: expires.unix_timestamp(),
            },
        )?;
        self.put_unconditional(item).await
    }

    /// Whether the provider refuted this pair within [`REFUTED_FOR`].
    pub async fn is_refuted(
        &self,
        name: &str,
        id_number: &IdNumber,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let key = keys::refuted_pair(&self.pair_blind(name, id_number)?);
        let Some(item) = self.get(key).await? else {
            return Ok(false);
        };
        // TTL deletion lags: an expired item is as good as gone.
        let r: RefutedRecord = from_record(REFUTED, item)?;
        Ok(r.expires_at > now.unix_timestamp())
    }

    fn pair_blind(&self, name: &str, id_number: &IdNumber) -> Result<String, StoreError> {
        Ok(self
            .pii()?
            .blind_index(PAIR_INDEX, &format!("{name}\u{1f}{}", id_number.as_str())))
    }

    fn id_number_blind(&self, id_number: &IdNumber) -> Result<String, StoreError> {
        Ok(self.pii()?.blind_index(ID_NUMBER_INDEX, id_number.as_str()))
    }

    pub async fn student(&self, openid: &str) -> Result<Option<Student>, StoreError> {
        let Some(item) = self.get(keys::student(openid)).await? else {
            return Ok(None);
        };
        let r: StudentRecord = from_record(ENTITY, item)?;
        let identity = r
            .identity
            .map(|sealed| -> Result<_, StoreError> {
                let name = self
                    .pii()?
                    .open(&seal_context(&r.openid, "name"), &sealed.name_sealed)?;
                let id_number = self.pii()?.open(
                    &seal_context(&r.openid, "id_number"),
                    &sealed.id_number_sealed,
                )?;
                Ok(VerifiedIdentity {
                    name,
                    id_number: IdNumber::parse_stored(&id_number)
                        .map_err(|e| StoreError::corrupt(ENTITY, e))?,
                    verified_at: sealed.verified_at,
                })
            })
            .transpose()?;
        Ok(Some(Student {
            openid: r.openid,
            identity,
            portrait: r.portrait,
        }))
    }
}
