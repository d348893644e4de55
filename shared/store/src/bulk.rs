//! Loading many cases at once, for local stacks and load tests only (feature `bulk`): the
//! items a case's normal life would have written, put without conditions or transactions.
//! Nothing here checks the state machine's rules; the functions never use it.

use domain::{Collection, Event};

use crate::collections::case_of_enrollment_item;
use crate::{StoreError, Table};

impl Table {
    /// Writes each case with its audit events and its enrollment's guard, as if each had
    /// lived through those events. DynamoDB transactions cost a local emulator time that grows
    /// with the table; this is a BatchWriteItem per 25 items.
    pub async fn bulk_load_cases(
        &self,
        cases: &[(Collection, Vec<Event>)],
    ) -> Result<(), StoreError> {
        let mut items = Vec::new();
        for (case, events) in cases {
            items.push(case_of_enrollment_item(case)?);
            items.push(self.collection_item(case)?);
            for event in events {
                items.push(self.event_item(event)?);
            }
        }
        self.write_items(items).await
    }
}
