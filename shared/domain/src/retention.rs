//! How long a case's personal data is kept (PIPL Art. 19 and 47: no longer than the purpose
//! needs), as rules over the case, its task and the time: what of a case may be deleted now.
//! The periods are the school's to set (template parameters); the defaults are below.
//!
//! A case is *closed* when its photo is published (学信网 holds it from then), or when its
//! task's session has closed with the case short of review (abandoned, or refunded and not
//! paid again). A case in review, with a retoucher, approved or publishing is never closed,
//! however late: nothing of it is due, and a pending refund holds everything too.

use time::{Duration, OffsetDateTime};

use crate::collection::{Collection, CollectionStatus};
use crate::task::CollectionTask;

/// The kinds of data deleted on their own schedules.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Face descriptors of the case's photos: their only use is the face match before review.
    Descriptors,
    /// The uploads and the exact bytes checked (the phone photo, the ID card's photo).
    Originals,
    /// Standardised and retouched photos, previews, reports, print sheets.
    Photos,
    /// The sealed identity, the roster row, what the ID card read, the postal address.
    Identity,
}

impl Kind {
    pub const ALL: [Self; 4] = [
        Self::Descriptors,
        Self::Originals,
        Self::Photos,
        Self::Identity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Descriptors => "descriptors",
            Self::Originals => "originals",
            Self::Photos => "photos",
            Self::Identity => "identity",
        }
    }
}

/// The periods, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Originals and ID-card images after the case closed.
    pub originals_days: i64,
    /// Standardised photos and reports after publication.
    pub photos_days: i64,
    /// Sealed identity and roster data after the task closed.
    pub identity_days: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            originals_days: 30,
            photos_days: 180,
            identity_days: 180,
        }
    }
}

/// Why and since when a case is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Published {
        at: OffsetDateTime,
    },
    /// Its task's session closed with the case short of review.
    Abandoned {
        at: OffsetDateTime,
    },
}

impl Closed {
    pub fn at(self) -> OffsetDateTime {
        match self {
            Self::Published { at } | Self::Abandoned { at } => at,
        }
    }
}

/// Whether, and since when, `case` is closed at `now`.
pub fn closed(case: &Collection, task: &CollectionTask, now: OffsetDateTime) -> Option<Closed> {
    if case.pending_refund.is_some() {
        return None;
    }
    match case.status {
        CollectionStatus::Published => Some(Closed::Published {
            at: case.published_at.unwrap_or(case.updated_at),
        }),
        CollectionStatus::AwaitingPayment | CollectionStatus::AwaitingPhoto
            if now >= task.closes_at =>
        {
            Some(Closed::Abandoned { at: task.closes_at })
        }
        _ => None,
    }
}

/// When each kind of `case`'s data falls due, if the case is closed at `now`. A published
/// photo's descriptors go at once, its originals after `originals_days`, its photos after
/// `photos_days`; an abandoned case has no photo anyone needs, so its photos go with its
/// originals. Identity waits for the task's close plus `identity_days` in every case.
pub fn due_at(
    case: &Collection,
    task: &CollectionTask,
    now: OffsetDateTime,
    policy: &Policy,
) -> Option<[(Kind, OffsetDateTime); 4]> {
    let closed = closed(case, task, now)?;
    let days = Duration::days;
    let at = closed.at();
    let photos = match closed {
        Closed::Published { .. } => at + days(policy.photos_days),
        Closed::Abandoned { .. } => at + days(policy.originals_days),
    };
    Some([
        (Kind::Descriptors, at),
        (Kind::Originals, at + days(policy.originals_days)),
        (Kind::Photos, photos),
        (
            Kind::Identity,
            task.closes_at.max(at) + days(policy.identity_days),
        ),
    ])
}

/// Whether a task's roster (its rows, their CHSI codes, the cases' guards) may go at `now`:
/// `identity_days` after the task closed, once no case of it is still open. The caller knows
/// the second half; this is the first.
pub fn roster_due(task: &CollectionTask, now: OffsetDateTime, policy: &Policy) -> bool {
    now >= task.closes_at + Duration::days(policy.identity_days)
}

/// What of `case` may be deleted at `now`.
pub fn due(
    case: &Collection,
    task: &CollectionTask,
    now: OffsetDateTime,
    policy: &Policy,
) -> Vec<Kind> {
    due_at(case, task, now, policy)
        .map(|all| {
            all.into_iter()
                .filter(|(_, when)| *when <= now)
                .map(|(kind, _)| kind)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::collection::PendingRefund;
    use crate::event::Actor;

    const CLOSES: OffsetDateTime = datetime!(2026-06-30 16:00 UTC);

    fn task() -> CollectionTask {
        crate::task::test_task(CLOSES)
    }

    fn case(status: CollectionStatus) -> Collection {
        let (mut case, _) = Collection::open(
            task().id,
            "2022001".into(),
            "o-1".into(),
            Actor::Student,
            datetime!(2026-03-02 00:00 UTC),
        );
        case.status = status;
        case
    }

    fn days(n: i64) -> Duration {
        Duration::days(n)
    }

    #[test]
    fn a_published_photo_loses_its_descriptors_at_once_its_originals_in_30_days_its_photos_in_180()
    {
        let published_at = datetime!(2026-05-10 18:00 UTC);
        let mut published = case(CollectionStatus::Published);
        published.published_at = Some(published_at);
        // Printing after publication moves updated_at; retention counts from publication.
        published.updated_at = published_at + days(20);
        let (task, policy) = (task(), Policy::default());
        let at = |t| due(&published, &task, t, &policy);
        assert_eq!(at(published_at - Duration::seconds(1)), []);
        assert_eq!(at(published_at), [Kind::Descriptors]);
        assert_eq!(
            at(published_at + days(30)),
            [Kind::Descriptors, Kind::Originals]
        );
        assert_eq!(
            at(published_at + days(180)),
            [Kind::Descriptors, Kind::Originals, Kind::Photos]
        );
        // Identity waits for the task's close, plus 180 days.
        assert!(!at(CLOSES + days(179)).contains(&Kind::Identity));
        assert_eq!(at(CLOSES + days(180)), Kind::ALL);
    }

    #[test]
    fn a_case_short_of_review_closes_with_its_session_and_its_photos_go_with_its_originals() {
        let (task, policy) = (task(), Policy::default());
        for status in [
            CollectionStatus::AwaitingPayment,
            CollectionStatus::AwaitingPhoto,
        ] {
            let abandoned = case(status);
            assert_eq!(due(&abandoned, &task, CLOSES - days(1), &policy), []);
            assert_eq!(due(&abandoned, &task, CLOSES, &policy), [Kind::Descriptors]);
            assert_eq!(
                due(&abandoned, &task, CLOSES + days(30), &policy),
                [Kind::Descriptors, Kind::Originals, Kind::Photos]
            );
        }
    }

    #[test]
    fn nothing_of_a_case_in_review_approved_publishing_or_awaiting_a_refund_is_ever_due() {
        let (task, policy) = (task(), Policy::default());
        let years_later = CLOSES + days(3 * 365);
        for status in [
            CollectionStatus::InReview,
            CollectionStatus::Retouching,
            CollectionStatus::Approved,
            CollectionStatus::Publishing,
        ] {
            assert_eq!(
                due(&case(status), &task, years_later, &policy),
                [],
                "{status}"
            );
        }
        let mut refunding = case(CollectionStatus::AwaitingPhoto);
        refunding.pending_refund = Some(PendingRefund {
            refund_no: "RF1".into(),
            order_no: "GP1".into(),
            requested_at: CLOSES,
        });
        assert_eq!(due(&refunding, &task, years_later, &policy), []);
    }
}
