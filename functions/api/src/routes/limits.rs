//! Budgets on what costs money or guesses at other students' records: identity checks (paid
//! per call at the provider) and code-based links. Each use is reserved before it is made, in
//! one conditional write, so a burst of concurrent requests cannot get past a limit; a full
//! window is refused with 429 and the time it turns.

use std::time::Duration;

use store::{Reserved, Table};
use time::OffsetDateTime;

use web::{ApiError, ApiResult};

use crate::errors;

/// A limit: how many uses are allowed per window.
pub struct Limit {
    pub scope: &'static str,
    pub uses: u32,
    pub window: Duration,
}

/// Linking by a code: a student who mistypes gets a few tries; someone walking through codes
/// does not. A link that succeeds gives its use back.
pub const LINK: Limit = Limit {
    scope: "link",
    uses: 5,
    window: Duration::from_secs(3600),
};

/// Identity checks per account: every check counts, whatever the provider answers.
pub const IDENTITY: Limit = Limit {
    scope: "identity",
    uses: 5,
    window: Duration::from_secs(3600),
};

/// Photos of the ID card per account and day: each is read by the photo processor (a third
/// of a second of OCR and a face), and since the card comes before the identity check, an
/// account need not be verified to upload one. A student retaking a blurred card has plenty.
pub const CARD_PHOTOS: Limit = Limit {
    scope: "card-photo",
    uses: 10,
    window: Duration::from_secs(24 * 3600),
};

/// Identity checks of the whole service per China day; the number is the deployment's
/// (`IdentityChecksPerDay` in the template).
pub fn identity_daily(uses: u32) -> Limit {
    Limit {
        scope: "identity-day",
        uses,
        window: Duration::from_secs(24 * 3600),
    }
}

/// The key the service-wide budget is counted under.
pub const SERVICE: &str = "service";

/// One key's uses under one limit.
pub struct Budget<'a> {
    table: &'a Table,
    limit: &'a Limit,
    who: &'a str,
    now: OffsetDateTime,
}

impl<'a> Budget<'a> {
    pub fn new(table: &'a Table, limit: &'a Limit, who: &'a str, now: OffsetDateTime) -> Self {
        Self {
            table,
            limit,
            who,
            now,
        }
    }

    /// Counts one use, or refuses (counting nothing) when the window is full; `full` is the
    /// refusal, given the time the window turns.
    pub async fn reserve_or(&self, full: impl FnOnce(OffsetDateTime) -> ApiError) -> ApiResult<()> {
        let limit = self.limit;
        match self
            .table
            .reserve(limit.scope, self.who, limit.uses, limit.window, self.now)
            .await?
        {
            Reserved::Granted => Ok(()),
            Reserved::Exhausted { resets_at } => Err(full(resets_at)),
        }
    }

    /// Counts one use of the student's own budget, refused as too many attempts.
    pub async fn reserve(&self) -> ApiResult<()> {
        self.reserve_or(errors::too_many_attempts).await
    }

    /// Gives the use back: the guess was right.
    pub async fn give_back(&self) -> ApiResult<()> {
        let limit = self.limit;
        self.table
            .release(limit.scope, self.who, limit.window, self.now)
            .await?;
        Ok(())
    }
}
