//! Students' consents to the privacy notice: one record per notice version, beside the
//! student, written once (the first consent to a version is the one that counts) and never
//! rewritten, so the records are their own audit trail.

use domain::privacy::Consent;

use crate::StoreError;
use crate::keys::{self, PK, SK};
use crate::table::{ABSENT, Query, Table, Transact, from_record, record};

const CONSENT: &str = "consent";

impl Table {
    /// Records `consent`; a consent to a version already recorded changes nothing.
    pub async fn put_consent(&self, openid: &str, consent: &Consent) -> Result<(), StoreError> {
        let item = record(
            CONSENT,
            keys::consent(openid, &consent.notice_version),
            consent,
        )?;
        let put = self.put(item, ABSENT, &[], &[])?;
        match self.transact(vec![put]).await {
            Ok(()) => Ok(()),
            Err(Transact::ConditionFailed(_)) => Ok(()),
            Err(Transact::Failed(err)) => Err(err),
        }
    }

    /// The student's consent to `notice_version`, if given.
    pub async fn consent(
        &self,
        openid: &str,
        notice_version: &str,
    ) -> Result<Option<Consent>, StoreError> {
        match self.get(keys::consent(openid, notice_version)).await? {
            Some(item) => Ok(Some(from_record(CONSENT, item)?)),
            None => Ok(None),
        }
    }

    /// Every consent the student gave, oldest notice first.
    pub async fn consents(&self, openid: &str) -> Result<Vec<Consent>, StoreError> {
        self.query(Query {
            index: None,
            partition: (PK, keys::student(openid).0),
            sort_prefix: Some((SK, keys::CONSENT_PREFIX)),
            sort_below: None,
            limit: None,
            newest_first: false,
        })
        .await?
        .into_iter()
        .map(|item| from_record(CONSENT, item))
        .collect()
    }
}
