//! Collection tasks and their session-code pointers.

use domain::{CollectionTask, SessionCode, TaskId};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::keys::{self, GSI1, GSI1_PK, GSI1_SK};
use crate::table::{ABSENT, Query, Table, from_record, record, s};

const ENTITY: &str = "task";

#[derive(Serialize, Deserialize)]
struct SessionPointer {
    task_id: TaskId,
}

impl Table {
    /// Stores a new task; its session code must not be in use by another task.
    pub async fn create_task(&self, task: &CollectionTask) -> Result<(), StoreError> {
        let mut item = record(ENTITY, keys::task(task.id), task)?;
        // Operators list tasks newest first through the sparse index.
        item.insert(GSI1_PK.into(), s(keys::TASK_LIST));
        item.insert(
            GSI1_SK.into(),
            s(format!("{}#{}", task.opens_at.unix_timestamp(), task.id)),
        );
        let pointer = record(
            "session_code",
            keys::session_code(task.session_code.as_str()),
            &SessionPointer { task_id: task.id },
        )?;
        self.transact(vec![
            self.put(item, ABSENT, &[], &[])?,
            self.put(pointer, ABSENT, &[], &[])?,
        ])
        .await
        .map_err(|t| {
            t.or_conflict(|failed| StoreError::AlreadyExists {
                entity: if failed.get(1) == Some(&true) {
                    "session code"
                } else {
                    ENTITY
                },
                id: task.session_code.as_str().to_owned(),
            })
        })
    }

    /// Every task, the latest to open first.
    pub async fn tasks(&self) -> Result<Vec<CollectionTask>, StoreError> {
        let items = self
            .query(Query {
                index: Some(GSI1),
                partition: (GSI1_PK, keys::TASK_LIST.to_owned()),
                sort_prefix: None,
                sort_below: None,
                limit: None,
                newest_first: false,
            })
            .await?;
        let mut tasks = items
            .into_iter()
            .map(|item| from_record(ENTITY, item))
            .collect::<Result<Vec<CollectionTask>, _>>()?;
        tasks.reverse();
        Ok(tasks)
    }

    pub async fn task(&self, id: TaskId) -> Result<CollectionTask, StoreError> {
        self.load(ENTITY, keys::task(id), id).await
    }

    pub async fn task_by_session_code(
        &self,
        code: &SessionCode,
    ) -> Result<CollectionTask, StoreError> {
        let not_found = || StoreError::NotFound {
            entity: "session code",
            id: code.as_str().to_owned(),
        };
        let item = self
            .get(keys::session_code(code.as_str()))
            .await?
            .ok_or_else(not_found)?;
        let pointer: SessionPointer = from_record("session_code", item)?;
        self.task(pointer.task_id).await
    }
}
