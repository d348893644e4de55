//! Where "now" comes from. Functions are built with the wall clock; tests freeze it, so a run
//! that crosses an hour (a rate-limit window) or 16:00 UTC (a China-time day) cannot change
//! what a test sees, and a test can step time forward to expire a lease or a token.

use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

/// The time a handler or the store acts at. Cloning shares it: the app, its store and a test
/// all read (and a test sets) the same clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None`: the wall clock.
    frozen: Option<Arc<Mutex<OffsetDateTime>>>,
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that stays at `at` until [`Clock::set`] or [`Clock::advance`] moves it.
    pub fn frozen(at: OffsetDateTime) -> Self {
        Self {
            frozen: Some(Arc::new(Mutex::new(at))),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        match &self.frozen {
            Some(at) => *at.lock().unwrap_or_else(|e| e.into_inner()),
            None => OffsetDateTime::now_utc(),
        }
    }

    /// Moves a frozen clock to `at`.
    ///
    /// # Panics
    ///
    /// On the wall clock: only a test moves time, and a test must build a frozen clock.
    pub fn set(&self, at: OffsetDateTime) {
        let frozen = self.frozen.as_ref().expect("only a frozen clock is set");
        *frozen.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    /// Moves a frozen clock forward by `by`.
    ///
    /// # Panics
    ///
    /// As [`Clock::set`].
    pub fn advance(&self, by: Duration) {
        self.set(self.now() + by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_moves_only_when_told_and_its_clones_move_with_it() {
        let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let clock = Clock::frozen(start);
        let shared = clock.clone();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now(), start);
        shared.advance(Duration::hours(2));
        assert_eq!(clock.now(), start + Duration::hours(2));
    }

    #[test]
    fn the_system_clock_reads_the_wall_clock() {
        let before = OffsetDateTime::now_utc();
        let now = Clock::system().now();
        assert!(now >= before && now <= OffsetDateTime::now_utc());
    }

    #[test]
    #[should_panic(expected = "only a frozen clock is set")]
    fn the_wall_clock_cannot_be_set() {
        Clock::system().set(OffsetDateTime::UNIX_EPOCH);
    }
}
