//! Whether a staff subject's tokens were withdrawn ([`store::Table::revoke_staff`]). Checked
//! on every staff request; each container remembers an answer for at most [`FRESH_FOR`], so a
//! revocation reaches every container within a minute, and the one that revoked at once.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use store::{StoreError, Table};

/// The longest an answer is reused.
pub const FRESH_FOR: Duration = Duration::from_secs(60);

type Key = (String, String);

static ANSWERS: LazyLock<Mutex<HashMap<Key, (Instant, bool)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn key(table: &Table, subject: &str) -> Key {
    (table.name().to_owned(), subject.to_owned())
}

/// Whether `subject` is revoked in `table`.
pub async fn is_revoked(table: &Table, subject: &str) -> Result<bool, StoreError> {
    let key = key(table, subject);
    let cached = ANSWERS
        .lock()
        .expect("revocation cache")
        .get(&key)
        .filter(|(at, _)| at.elapsed() < FRESH_FOR)
        .map(|(_, revoked)| *revoked);
    if let Some(revoked) = cached {
        return Ok(revoked);
    }
    let revoked = table.is_revoked(subject).await?;
    ANSWERS
        .lock()
        .expect("revocation cache")
        .insert(key, (Instant::now(), revoked));
    Ok(revoked)
}

/// Forgets what this container knew of `subject`: called where it is revoked or restored.
pub fn forget(table: &Table, subject: &str) {
    ANSWERS
        .lock()
        .expect("revocation cache")
        .remove(&key(table, subject));
}
