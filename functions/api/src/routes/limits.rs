//! Rate limits on guessing: wrong link codes, wrong last-four digits and failed identity checks
//! are counted per student in fixed windows, and refused with 429 once a window is full.

use std::time::Duration;

use store::Table;
use time::OffsetDateTime;

use web::ApiResult;

use crate::errors;

/// A limit: how many failures are allowed per window.
pub struct Limit {
    pub scope: &'static str,
    pub failures: u32,
    pub window: Duration,
}

/// Linking: a student who mistypes gets a few tries; someone walking through codes does not.
pub const LINK: Limit = Limit {
    scope: "link",
    failures: 5,
    window: Duration::from_secs(3600),
};

/// Identity checks are paid per call at the provider.
pub const IDENTITY: Limit = Limit {
    scope: "identity",
    failures: 5,
    window: Duration::from_secs(3600),
};

/// One student's failures under one limit.
pub struct Guesses<'a> {
    table: &'a Table,
    limit: &'a Limit,
    who: &'a str,
    now: OffsetDateTime,
}

impl<'a> Guesses<'a> {
    pub fn new(table: &'a Table, limit: &'a Limit, who: &'a str, now: OffsetDateTime) -> Self {
        Self {
            table,
            limit,
            who,
            now,
        }
    }

    /// Refuses when the window is already full.
    pub async fn check(&self) -> ApiResult<()> {
        let used = self
            .table
            .failures(self.limit.scope, self.who, self.limit.window, self.now)
            .await?;
        if used >= self.limit.failures {
            return Err(errors::too_many_attempts(self.limit.window.as_secs() / 60));
        }
        Ok(())
    }

    /// Counts one failure.
    pub async fn record(&self) -> ApiResult<()> {
        self.table
            .record_failure(self.limit.scope, self.who, self.limit.window, self.now)
            .await?;
        Ok(())
    }
}
