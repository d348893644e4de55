//! The privacy notice (个人信息处理规则) a student reads, and their consent to the processing of
//! sensitive personal information it describes (PIPL Art. 28–29: separate consent to each
//! purpose). The notices' texts live in `docs/privacy/`, one file per version, never edited
//! once published: a consent names the version its student saw.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One published version of the notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub version: &'static str,
    /// When it took effect (China date).
    pub published: &'static str,
    pub text_zh: &'static str,
}

/// Every version, oldest first; the last is the one students consent to now.
pub const NOTICES: &[Notice] = &[Notice {
    version: "v1",
    published: "2026-12-05",
    text_zh: include_str!("../../../docs/privacy/v1.zh.md"),
}];

pub fn current() -> &'static Notice {
    &NOTICES[NOTICES.len() - 1]
}

pub fn notice(version: &str) -> Option<&'static Notice> {
    NOTICES.iter().find(|n| n.version == version)
}

/// What a student consents to, each separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Name, ID number and the ID card's photo, checked with the identity provider.
    IdentityCheck,
    /// The student's own photo, standardised and sent to 学信网.
    FacePhoto,
    /// Face descriptors of the photo and the ID card's, compared.
    FaceComparison,
}

impl Purpose {
    pub const ALL: [Self; 3] = [Self::IdentityCheck, Self::FacePhoto, Self::FaceComparison];
}

/// A student's consent, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub notice_version: String,
    pub purposes: Vec<Purpose>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a consent cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    #[error("the notice consented to is not the current one ({current})")]
    NotCurrent { current: &'static str },
    #[error("consent must name every purpose: {missing:?} missing")]
    Missing { missing: Vec<Purpose> },
}

impl Consent {
    /// The consent of a student who read `notice_version` and agreed to `purposes`: only to
    /// the current notice, and to every purpose (the service cannot work with fewer).
    pub fn given(
        notice_version: &str,
        purposes: &[Purpose],
        at: OffsetDateTime,
    ) -> Result<Self, ConsentError> {
        if notice_version != current().version {
            return Err(ConsentError::NotCurrent {
                current: current().version,
            });
        }
        let missing: Vec<Purpose> = Purpose::ALL
            .into_iter()
            .filter(|p| !purposes.contains(p))
            .collect();
        if !missing.is_empty() {
            return Err(ConsentError::Missing { missing });
        }
        Ok(Self {
            notice_version: notice_version.to_owned(),
            purposes: Purpose::ALL.to_vec(),
            at,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn consent_is_to_the_current_notice_and_to_every_purpose() {
        let at = datetime!(2026-12-05 08:00 UTC);
        let all = Purpose::ALL;
        let consent = Consent::given(current().version, &all, at).unwrap();
        assert_eq!(consent.purposes, all);
        assert!(matches!(
            Consent::given("v0", &all, at),
            Err(ConsentError::NotCurrent { .. })
        ));
        let err = Consent::given(current().version, &all[..2], at).unwrap_err();
        assert_eq!(
            err,
            ConsentError::Missing {
                missing: vec![Purpose::FaceComparison]
            }
        );
    }

    #[test]
    fn every_notice_has_a_text_and_its_purposes_named() {
        for notice in NOTICES {
            assert!(notice.text_zh.starts_with("# "), "{}", notice.version);
            for purpose in ["identity_check", "face_photo", "face_comparison"] {
                assert!(
                    notice.text_zh.contains(purpose),
                    "{} {purpose}",
                    notice.version
                );
            }
        }
    }
}
