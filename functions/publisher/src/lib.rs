//! The publisher: on a schedule, approved cases go to 学信网 in batches (DESIGN §7).
//!
//! A run first finishes every batch still open (a failed delivery, or a run that died half
//! way), then forms new batches from each task's approved cases. A case joins a batch only
//! through [`domain::Command::Batch`], which only an approved case accepts, and an open batch
//! takes its members from the cases themselves; so whatever a crash interrupts, no case ends up
//! in two batches and none is lost. Deliveries are retried under the same batch id with the
//! same bytes, which gateways treat as one delivery.

mod config;
mod entries;
mod finish;
mod form;

use chsi::ChsiGateway;
use serde::Serialize;
use store::{StoreError, UpdateError};
use time::OffsetDateTime;

pub use config::ConfigError;

/// The name the publisher acts under in the audit trail.
pub const ACTOR: &str = "publisher";

/// What one run did, by count only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub batches_created: usize,
    pub batches_delivered: usize,
    pub batches_failed: usize,
    pub cases_published: usize,
}

/// Why a run stopped. Delivery failures are not among them: those are recorded on the batch
/// and retried by the next run.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

pub struct Publisher {
    store: store::Store,
    gateway: Box<dyn ChsiGateway>,
}

impl Publisher {
    pub fn new(store: store::Store, gateway: Box<dyn ChsiGateway>) -> Self {
        Self { store, gateway }
    }

    /// One pass: open batches first, so a retried batch goes out before newer ones, then new
    /// batches for every task with approved cases.
    pub async fn run(&self, now: OffsetDateTime) -> Result<RunSummary, PublishError> {
        let mut summary = RunSummary::default();
        self.finish_open_batches(now, &mut summary).await?;
        for task in self.store.table.tasks().await? {
            self.publish_task(&task, now, &mut summary).await?;
        }
        tracing::info!(
            gateway = self.gateway.name(),
            batches_created = summary.batches_created,
            batches_delivered = summary.batches_delivered,
            batches_failed = summary.batches_failed,
            cases_published = summary.cases_published,
            "publisher run done"
        );
        Ok(summary)
    }
}

fn actor() -> domain::Actor {
    domain::Actor::System(ACTOR.into())
}

/// A refusal is the case's own answer and left to the caller; anything else stops the run.
fn refusal(error: UpdateError) -> Result<domain::TransitionError, StoreError> {
    match error {
        UpdateError::Refused(refused) => Ok(refused),
        UpdateError::Store(error) => Err(error),
    }
}
