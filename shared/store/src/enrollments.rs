//! Roster rows, with names and ID numbers sealed and the ID number blind-indexed.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use domain::{EducationLevel, Enrollment, IdNumber, TaskId};
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::keys::{self, GSI2, GSI2_PK, GSI2_SK, PK, SK};
use crate::table::{Item, Query, Table, Throttled, from_record, record, s};

const ENTITY: &str = "enrollment";
/// DynamoDB's limit per BatchWriteItem call.
const BATCH: usize = 25;

/// An enrollment as stored: no personal data in plain text.
#[derive(Serialize, Deserialize)]
struct EnrollmentRecord {
    task_id: TaskId,
    student_number: String,
    name_sealed: String,
    id_number_sealed: String,
    school: String,
    education_level: EducationLevel,
    major: String,
    chsi_code: Option<String>,
    /// The blind index keying the CHSI code's pointer, so the purger, which holds no key to
    /// compute it, can delete the pointer with the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chsi_pointer: Option<String>,
}

/// The blind-index kind for ID numbers, shared by enrollments and students.
pub(crate) const ID_NUMBER_INDEX: &str = "id_number";
const CHSI_CODE_INDEX: &str = "chsi_code";
const CHSI_CODE: &str = "chsi_code_pointer";
/// BatchWriteItem calls in flight during an import.
const PARALLEL_BATCHES: usize = 4;

/// Points from a look-up key to the enrollment it names.
#[derive(Serialize, Deserialize)]
struct EnrollmentPointer {
    task_id: TaskId,
    student_number: String,
}

fn seal_context(task: TaskId, student_number: &str, field: &str) -> String {
    format!("enrollment/{task}/{student_number}/{field}")
}

impl Table {
    pub(crate) fn enrollment_item(&self, e: &Enrollment) -> Result<Item, StoreError> {
        let sealed = EnrollmentRecord {
            task_id: e.task_id,
            student_number: e.student_number.clone(),
            name_sealed: self
                .pii()?
                .seal(&seal_context(e.task_id, &e.student_number, "name"), &e.name),
            id_number_sealed: self.pii()?.seal(
                &seal_context(e.task_id, &e.student_number, "id_number"),
                e.id_number.as_str(),
            ),
            school: e.school.clone(),
            education_level: e.education_level,
            major: e.major.clone(),
            chsi_code: e.chsi_code.clone(),
            chsi_pointer: e
                .chsi_code
                .as_ref()
                .map(|code| self.chsi_pointer(code))
                .transpose()?,
        };
        let mut item = record(
            ENTITY,
            keys::enrollment(e.task_id, &e.student_number),
            &sealed,
        )?;
        let index = self
            .pii()?
            .blind_index(ID_NUMBER_INDEX, e.id_number.as_str());
        item.insert(GSI2_PK.into(), s(keys::id_number_index(&index)));
        item.insert(
            GSI2_SK.into(),
            s(keys::enrollment_in_index(e.task_id, &e.student_number)),
        );
        Ok(item)
    }

    fn open_enrollment(&self, item: Item) -> Result<Enrollment, StoreError> {
        let r: EnrollmentRecord = from_record(ENTITY, item)?;
        let name = self.pii()?.open(
            &seal_context(r.task_id, &r.student_number, "name"),
            &r.name_sealed,
        )?;
        let id_number = self.pii()?.open(
            &seal_context(r.task_id, &r.student_number, "id_number"),
            &r.id_number_sealed,
        )?;
        Ok(Enrollment {
            task_id: r.task_id,
            student_number: r.student_number,
            name,
            id_number: IdNumber::parse_stored(&id_number)
                .map_err(|e| StoreError::corrupt(ENTITY, e))?,
            school: r.school,
            education_level: r.education_level,
            major: r.major,
            chsi_code: r.chsi_code,
        })
    }

    fn chsi_pointer(&self, code: &str) -> Result<String, StoreError> {
        Ok(self.pii()?.blind_index(CHSI_CODE_INDEX, code))
    }

    /// Deletes a task's roster: its rows, their CHSI codes' pointers (where they still point
    /// at this task) and the guards of its cases. The cases and their histories stay. Returns
    /// how many items went; a second call finds none.
    pub async fn forget_roster(&self, task: TaskId) -> Result<u64, StoreError> {
        let mut deleted = 0;
        let (partition, _) = keys::task(task);
        for prefix in [keys::ENROLLMENT_PREFIX, keys::CASE_PREFIX] {
            let items = self
                .query_attributes(
                    Query {
                        index: None,
                        partition: (PK, partition.clone()),
                        sort_prefix: Some((SK, prefix)),
                        sort_below: None,
                        limit: None,
                        newest_first: false,
                    },
                    &[PK, SK, "chsi_pointer"],
                )
                .await?;
            for item in items {
                let text = |name| match item.get(name) {
                    Some(AttributeValue::S(v)) => Some(v.clone()),
                    _ => None,
                };
                // Only where the code still points here: a later roster may have given the
                // code to its own row.
                if let Some(pointer) = text("chsi_pointer") {
                    let key = keys::chsi_code(&pointer);
                    let here = self.delete_if(key, "task_id", &task.to_string()).await?;
                    deleted += u64::from(here);
                }
                let (Some(pk), Some(sk)) = (text(PK), text(SK)) else {
                    return Err(StoreError::corrupt(ENTITY, "a roster item without its key"));
                };
                self.delete_unconditional((pk, sk)).await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// Writes roster rows and returns how many distinct rows were written. A row with the
    /// same task and student number replaces the stored one (and a later row in `rows` an
    /// earlier one), so importing the same roster again changes nothing. A row's CHSI code
    /// gets a pointer item, checked against the row when it is followed.
    pub async fn put_enrollments(&self, rows: &[Enrollment]) -> Result<usize, StoreError> {
        // BatchWriteItem refuses a batch holding one key twice: keep the last of each.
        let mut seen = HashSet::new();
        let mut rows: Vec<&Enrollment> = rows
            .iter()
            .rev()
            .filter(|r| seen.insert((r.task_id, r.student_number.as_str())))
            .collect();
        rows.reverse();
        let mut items = Vec::with_capacity(rows.len());
        let mut codes = HashSet::new();
        for &row in &rows {
            items.push(self.enrollment_item(row)?);
            if let Some(code) = &row.chsi_code {
                let key = keys::chsi_code(&self.chsi_pointer(code)?);
                if codes.insert(key.0.clone()) {
                    let pointer = EnrollmentPointer {
                        task_id: row.task_id,
                        student_number: row.student_number.clone(),
                    };
                    items.push(record(CHSI_CODE, key, &pointer)?);
                }
            }
        }
        self.write_items(items).await?;
        Ok(rows.len())
    }

    /// Puts `items` unconditionally, in batches of 25 with a few in flight; an item may be
    /// written even when the call fails (then some other may not be).
    pub(crate) async fn write_items(&self, mut items: Vec<Item>) -> Result<(), StoreError> {
        let mut batches = Vec::with_capacity(items.len().div_ceil(BATCH));
        while !items.is_empty() {
            let rest = items.split_off(items.len().min(BATCH));
            batches.push(self.write_batch(std::mem::replace(&mut items, rest)));
        }
        // A few batches in flight: a 10,000-row roster is 400+ calls, too slow one by one for
        // an HTTP request, while more parallelism only earns throttling on a new table.
        futures_util::stream::iter(batches)
            .buffer_unordered(PARALLEL_BATCHES)
            .try_collect::<()>()
            .await
    }

    /// One BatchWriteItem, resending unprocessed items with back-off.
    async fn write_batch(&self, items: Vec<Item>) -> Result<(), StoreError> {
        let mut requests = items
            .into_iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(StoreError::request)?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut waits = Throttled::waits();
        while !requests.is_empty() {
            let output = self
                .ddb
                .batch_write_item()
                .request_items(&self.name, requests)
                .send()
                .await
                .map_err(|e| StoreError::dynamodb("BatchWriteItem", e))?;
            requests = output
                .unprocessed_items
                .and_then(|mut u| u.remove(&self.name))
                .unwrap_or_default();
            if !requests.is_empty() {
                waits.next_or_fail("BatchWriteItem").await?;
            }
        }
        Ok(())
    }

    /// The enrollment whose 学信网图像采集码 is `code`, if any.
    pub async fn enrollment_by_chsi_code(
        &self,
        code: &str,
    ) -> Result<Option<Enrollment>, StoreError> {
        let key = keys::chsi_code(&self.chsi_pointer(code)?);
        let Some(item) = self.get(key).await? else {
            return Ok(None);
        };
        let pointer: EnrollmentPointer = from_record(CHSI_CODE, item)?;
        let Some(item) = self
            .get(keys::enrollment(pointer.task_id, &pointer.student_number))
            .await?
        else {
            return Ok(None);
        };
        let enrollment = self.open_enrollment(item)?;
        // A re-import may have moved the code to another row; the old pointer is then stale.
        Ok((enrollment.chsi_code.as_deref() == Some(code)).then_some(enrollment))
    }

    pub async fn enrollment(
        &self,
        task: TaskId,
        student_number: &str,
    ) -> Result<Enrollment, StoreError> {
        let item = self
            .get(keys::enrollment(task, student_number))
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: ENTITY,
                id: format!("{task}/{student_number}"),
            })?;
        self.open_enrollment(item)
    }

    /// Every enrollment with this ID number, across tasks, found through the blind index.
    pub async fn enrollments_by_id_number(
        &self,
        id_number: &IdNumber,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let index = self.pii()?.blind_index(ID_NUMBER_INDEX, id_number.as_str());
        self.enrollments_where(Query {
            index: Some(GSI2),
            partition: (GSI2_PK, keys::id_number_index(&index)),
            sort_prefix: Some((GSI2_SK, keys::ENROLLMENT_PREFIX)),
            sort_below: None,
            limit: None,
            newest_first: false,
        })
        .await
    }

    /// The roster of a task, in student-number order.
    pub async fn enrollments_of_task(&self, task: TaskId) -> Result<Vec<Enrollment>, StoreError> {
        self.enrollments_where(Query {
            index: None,
            partition: (PK, keys::task(task).0),
            sort_prefix: Some((SK, keys::ENROLLMENT_PREFIX)),
            sort_below: None,
            limit: None,
            newest_first: false,
        })
        .await
    }

    async fn enrollments_where(&self, query: Query<'_>) -> Result<Vec<Enrollment>, StoreError> {
        let items = self.query(query).await?;
        items
            .into_iter()
            .map(|item| self.open_enrollment(item))
            .collect()
    }
}
