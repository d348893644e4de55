//! The student's ID card (居民身份证), as the photo processor read it from the photo of its
//! portrait side: why a photo cannot serve, what the card says, and whether that is the
//! identity the student confirmed.

use serde::{Deserialize, Serialize};

use crate::id_number::{IdNumber, mask_name};
use crate::student::VerifiedIdentity;

/// Why a card photo cannot serve, in words a student can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardProblem {
    /// No card-shaped bright region in the photo.
    NoCard,
    /// The national-emblem side was photographed.
    EmblemSide,
    /// Nothing of the portrait side's print could be read: not known to be a card.
    Unreadable,
    /// The portrait side's labels were read, but not its name or its number.
    FieldsUnread,
    /// 18 characters were read but their check character does not hold.
    ChecksumFailed,
    /// The printed sex or birth date disagrees with the number.
    Inconsistent,
    /// No single face on the card's photo.
    NoFace,
}

impl CardProblem {
    pub fn message_zh(self) -> &'static str {
        match self {
            Self::NoCard => {
                "未在照片中找到身份证，请将身份证人像面平放在深色桌面上，使其占满大部分画面后重拍"
            }
            Self::EmblemSide => "拍摄的是国徽面，请拍摄身份证的人像面（有照片的一面）",
            Self::Unreadable => "身份证上的文字无法识别，请在光线充足处对焦清晰、避免反光后重拍",
            Self::FieldsUnread => "身份证上的姓名或号码未能识别，请重拍，确保文字清晰、无反光遮挡",
            Self::ChecksumFailed => "识别出的身份证号码校验不通过，请重拍，确保号码清晰完整",
            Self::Inconsistent => "识别出的性别或出生日期与身份证号码不一致，请重拍，确保证件清晰",
            Self::NoFace => "未能识别身份证上的照片，请重拍，避免手指遮挡或反光",
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            Self::NoCard => {
                "No ID card was found in the photo: lay the portrait side flat on a dark table, filling most of the frame, and retake it"
            }
            Self::EmblemSide => {
                "This is the national-emblem side: photograph the side with the portrait"
            }
            Self::Unreadable => {
                "The card's text could not be read: retake it in good light, in focus, without glare"
            }
            Self::FieldsUnread => {
                "The name or the number on the card could not be read: retake it sharp, without glare over the text"
            }
            Self::ChecksumFailed => {
                "The ID number read does not pass its checksum: retake the photo with the number sharp and whole"
            }
            Self::Inconsistent => {
                "The sex or birth date read disagrees with the ID number: retake a sharper photo"
            }
            Self::NoFace => {
                "The photo on the card could not be read: retake it without fingers or glare over it"
            }
        }
    }
}

impl CardProblem {
    /// Whether the photo can still serve as the card for the face match: the card and its
    /// face were found, only its text was not read with confidence. The reviewer is told
    /// (`id_card_unread`); the student is never stopped by a misread character.
    pub fn face_usable(self) -> bool {
        matches!(
            self,
            Self::FieldsUnread | Self::ChecksumFailed | Self::Inconsistent
        )
    }
}

/// What the card says. Personal data: the store seals it; never logged, never in an event.
#[derive(Clone, PartialEq, Eq)]
pub enum CardText {
    /// Name and number read, the number's checksum and the printed sex and birth date
    /// agreeing with it.
    Read { name: String, id_number: IdNumber },
    /// The card and its face were found; its text was not read with confidence.
    Unread(CardProblem),
}

impl std::fmt::Debug for CardText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Read { id_number, .. } => f
                .debug_struct("Read")
                .field("id_number", &id_number.masked())
                .finish_non_exhaustive(),
            Self::Unread(problem) => f.debug_tuple("Unread").field(problem).finish(),
        }
    }
}

impl CardText {
    /// Whether the card is the identity the student confirmed.
    pub fn check(&self, name: &str, id_number: &IdNumber) -> CardCheck {
        match self {
            Self::Read {
                name: read,
                id_number: number,
            } if read == name && number == id_number => CardCheck::Matches,
            Self::Read { .. } => CardCheck::Mismatch,
            Self::Unread(_) => CardCheck::Unread,
        }
    }

    /// [`CardText::check`] against a verified identity.
    pub fn check_identity(&self, identity: &VerifiedIdentity) -> CardCheck {
        self.check(&identity.name, &identity.id_number)
    }

    /// Name and number masked, for anyone but the card's owner.
    pub fn masked(&self) -> (Option<String>, Option<String>) {
        match self {
            Self::Read { name, id_number } => (Some(mask_name(name)), Some(id_number.masked())),
            Self::Unread(_) => (None, None),
        }
    }
}

/// The card against the confirmed identity. Neither difference stops the student: the
/// reviewer sees it as a flag beside the face match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardCheck {
    #[serde(rename = "matches")]
    Matches,
    /// The card reads another name or number than the one confirmed.
    #[serde(rename = "id_card_mismatch")]
    Mismatch,
    /// The card's text could not be read with confidence.
    #[serde(rename = "id_card_unread")]
    Unread,
}

impl CardCheck {
    pub fn message_zh(self) -> &'static str {
        match self {
            Self::Matches => "身份证识别结果与核验的身份一致",
            Self::Mismatch => "身份证识别出的姓名或号码与学生确认核验的不一致，请核对证件照片",
            Self::Unread => "身份证上的文字未能可靠识别，请核对证件照片与身份",
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            Self::Matches => "The card reads the identity that was verified",
            Self::Mismatch => {
                "The card reads another name or number than the one the student confirmed and verified: check the card"
            }
            Self::Unread => {
                "The card's text could not be read reliably: check the card against the identity"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number() -> IdNumber {
        IdNumber::parse_stored("11010519491231002X").unwrap()
    }

    #[test]
    fn a_card_matches_only_its_own_name_and_number() {
        let card = CardText::Read {
            name: "张三".into(),
            id_number: number(),
        };
        assert_eq!(card.check("张三", &number()), CardCheck::Matches);
        assert_eq!(card.check("张叁", &number()), CardCheck::Mismatch);
        let other = IdNumber::parse_stored("110105194912310038").unwrap();
        assert_eq!(card.check("张三", &other), CardCheck::Mismatch);
        let unread = CardText::Unread(CardProblem::ChecksumFailed);
        assert_eq!(unread.check("张三", &number()), CardCheck::Unread);
    }

    #[test]
    fn only_a_card_whose_face_was_found_can_serve_unread() {
        assert!(CardProblem::ChecksumFailed.face_usable());
        assert!(CardProblem::FieldsUnread.face_usable());
        assert!(!CardProblem::Unreadable.face_usable());
        assert!(!CardProblem::EmblemSide.face_usable());
        assert!(!CardProblem::NoCard.face_usable());
        assert!(!CardProblem::NoFace.face_usable());
    }

    #[test]
    fn the_debug_form_names_no_one() {
        let card = CardText::Read {
            name: "张三".into(),
            id_number: number(),
        };
        let shown = format!("{card:?}");
        assert!(!shown.contains("张三") && !shown.contains("11010519491231002X"));
    }
}
