//! Students, with their verified identity sealed.

use domain::{IdNumber, Portrait, Student, VerifiedIdentity};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::enrollments::ID_NUMBER_INDEX;
use crate::expiring::condition_held;
use crate::keys::{self, GSI2_PK, GSI2_SK};
use crate::table::{Table, from_record, record, s};

const ENTITY: &str = "student";

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
    /// Creates or replaces a student's record. A verified identity is never swapped for
    /// another: once a record holds an ID number, only a record with the same number (a
    /// repeated verification, a new portrait) may replace it, else
    /// [`StoreError::AlreadyExists`].
    pub async fn put_student(&self, student: &Student) -> Result<(), StoreError> {
        let identity = student.identity.as_ref().map(|id| SealedIdentity {
            name_sealed: self
                .pii
                .seal(&seal_context(&student.openid, "name"), &id.name),
            id_number_sealed: self.pii.seal(
                &seal_context(&student.openid, "id_number"),
                id.id_number.as_str(),
            ),
            verified_at: id.verified_at,
        });
        let record_ = StudentRecord {
            openid: student.openid.clone(),
            identity,
            portrait: student.portrait.clone(),
        };
        // The pointer first: a portrait the student record names can always be traced back.
        if let Some(portrait) = &student.portrait {
            self.put_portrait_owner(portrait.id, &student.openid)
                .await?;
        }
        let mut item = record(ENTITY, keys::student(&student.openid), &record_)?;
        let mut request = self.ddb.put_item().table_name(&self.name);
        if let Some(id) = &student.identity {
            let index = keys::id_number_index(
                &self.pii.blind_index(ID_NUMBER_INDEX, id.id_number.as_str()),
            );
            item.insert(GSI2_PK.into(), s(&index));
            item.insert(GSI2_SK.into(), s(keys::STUDENT_IN_INDEX));
            request = request
                .condition_expression("attribute_not_exists(#index) OR #index = :index")
                .expression_attribute_values(":index", s(index));
        } else {
            request = request.condition_expression("attribute_not_exists(#index)");
        }
        let result = request
            .expression_attribute_names("#index", GSI2_PK)
            .set_item(Some(item))
            .send()
            .await;
        if condition_held(result)? {
            Ok(())
        } else {
            Err(StoreError::AlreadyExists {
                entity: "verified identity",
                id: student.openid.clone(),
            })
        }
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
                    .pii
                    .open(&seal_context(&r.openid, "name"), &sealed.name_sealed)?;
                let id_number = self.pii.open(
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
