//! Which audit events a student hears about, and what the message says. Pure: no I/O.
//!
//! Every notice uses the same four template keywords, so operators pick (or apply for) one
//! subscribe-message template per kind in the mini program's admin with exactly these:
//!
//! | keyword   | 名称 | value                                                             |
//! |-----------|------|-------------------------------------------------------------------|
//! | `thing1`  | 项目 | the school's name + " 毕业照片采集" (cut to 20 characters)        |
//! | `phrase2` | 结果 | 未通过 / 已通过 / 已上报                                          |
//! | `thing3`  | 说明 | the first reason's title, the reviewer's note if there is one, or a fixed sentence |
//! | `time4`   | 时间 | when it happened, China time                                      |

use domain::{Actor, CheckOutcome, CollectionId, Command, Event, ReasonCode};
use store::NoticeKind;
use time::OffsetDateTime;
use wechat::message::{phrase, thing, time_value};
use wechat::{MiniProgramState, SubscribeMessage};

/// Said when the reasons are somehow missing: the student still learns what to do.
const RETAKE: &str = "请按要求重新拍摄上传";
const APPROVED: &str = "审核通过，照片将上报学信网";
const PUBLISHED: &str = "照片已上报学信网，可登录学信网核对";
const RETOUCHING: &str = "修图师正在修整照片，无需重拍";
const RETOUCHED: &str = "修图完成，照片已重新进入审核";
const PRINTED: &str = "冲印照片已制作完成，即将寄出";
const DELIVERED: &str = "冲印照片已签收";

/// What one event tells the student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub case: CollectionId,
    /// The version of the event, which keys its notice.
    pub version: u64,
    pub kind: NoticeKind,
    /// 说明: why, or what happens next.
    pub explanation: String,
    pub at: OffsetDateTime,
}

/// The notification `event` calls for, if any: refusals (automatic or by a reviewer),
/// retouching and its return, approval and publication, and the prints made, shipped (with the
/// tracking number) and delivered (unless the student said so themselves). Everything else the
/// student caused or does not need to hear.
pub fn notification(event: &Event) -> Option<Notification> {
    let (kind, explanation) = match event.command.as_ref()? {
        Command::RecordCheck {
            outcome: CheckOutcome::Rejected { reasons, .. },
            ..
        } => (NoticeKind::AutoRejected, first_reason(reasons)),
        Command::Approve { .. } => (NoticeKind::Approved, APPROVED.to_owned()),
        Command::Reject { reasons, note, .. } => {
            let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty());
            let explanation = note.map_or_else(|| first_reason(reasons), str::to_owned);
            (NoticeKind::Rejected, explanation)
        }
        Command::AcknowledgePublished { .. } => (NoticeKind::Published, PUBLISHED.to_owned()),
        Command::SendToRetouch { .. } => (NoticeKind::Retouching, RETOUCHING.to_owned()),
        Command::Retouched { .. } => (NoticeKind::Retouched, RETOUCHED.to_owned()),
        Command::Printed { .. } => (NoticeKind::Printed, PRINTED.to_owned()),
        Command::Shipped {
            courier,
            tracking_no,
        } => (NoticeKind::Shipped, format!("{courier} {tracking_no}")),
        Command::Delivered if !matches!(event.actor, Actor::Student) => {
            (NoticeKind::Delivered, DELIVERED.to_owned())
        }
        _ => return None,
    };
    Some(Notification {
        case: event.collection_id,
        version: event.version,
        kind,
        explanation,
        at: event.at,
    })
}

fn first_reason(reasons: &[ReasonCode]) -> String {
    reasons
        .first()
        .map_or(RETAKE, ReasonCode::title_zh)
        .to_owned()
}

/// Where messages lead and which mini program version opens them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landing {
    /// The case page, without query: `pages/case/index`.
    pub page: String,
    pub state: MiniProgramState,
}

impl Notification {
    /// 结果, in a `phrase` (at most five characters).
    pub fn result(&self) -> &'static str {
        match self.kind {
            NoticeKind::AutoRejected | NoticeKind::Rejected => "未通过",
            NoticeKind::Approved => "已通过",
            NoticeKind::Published => "已上报",
            NoticeKind::Retouching => "修图中",
            NoticeKind::Retouched => "修图完成",
            NoticeKind::Printed => "已冲印",
            NoticeKind::Shipped => "已寄出",
            NoticeKind::Delivered => "已签收",
        }
    }

    /// The message to the case's owner `touser`, with template `template_id`.
    pub fn message(
        &self,
        touser: &str,
        school: &str,
        template_id: &str,
        landing: &Landing,
    ) -> SubscribeMessage {
        let data = [
            ("thing1", thing(&format!("{school} 毕业照片采集"))),
            ("phrase2", phrase(self.result())),
            ("thing3", thing(&self.explanation)),
            ("time4", time_value(self.at)),
        ];
        SubscribeMessage {
            touser: touser.to_owned(),
            template_id: template_id.to_owned(),
            page: format!("{}?id={}", landing.page, self.case),
            data: data.map(|(k, v)| (k.to_owned(), v)).to_vec(),
            state: landing.state,
        }
    }
}

#[cfg(test)]
mod tests {
    use domain::{AttemptId, BatchId, CollectionStatus};
    use time::macros::datetime;

    use super::*;

    fn event(command: Option<Command>) -> Event {
        Event {
            collection_id: CollectionId::new(),
            version: 7,
            at: datetime!(2026-06-01 06:30 UTC),
            actor: Actor::System("test".into()),
            from: Some(CollectionStatus::InReview),
            to: CollectionStatus::AwaitingPhoto,
            command,
        }
    }

    fn reject(note: Option<&str>) -> Command {
        Command::Reject {
            reviewer: "r1".into(),
            reasons: vec![ReasonCode::Earrings, ReasonCode::Blurry],
            note: note.map(Into::into),
        }
    }

    fn landing() -> Landing {
        Landing {
            page: "pages/case/index".into(),
            state: MiniProgramState::Trial,
        }
    }

    #[test]
    fn automatic_refusal_explains_the_first_reason() {
        let command = Command::RecordCheck {
            attempt_id: AttemptId::new(),
            outcome: CheckOutcome::Rejected {
                reasons: vec![ReasonCode::Blurry, ReasonCode::Earrings],
                review_flags: vec![],
            },
        };
        let n = notification(&event(Some(command))).unwrap();
        assert_eq!(n.kind, NoticeKind::AutoRejected);
        assert_eq!(n.explanation, ReasonCode::Blurry.title_zh());
        assert_eq!(n.result(), "未通过");
    }

    #[test]
    fn reviewer_note_replaces_the_reason_title() {
        let with_note = notification(&event(Some(reject(Some("请摘下耳饰后重拍"))))).unwrap();
        assert_eq!(with_note.kind, NoticeKind::Rejected);
        assert_eq!(with_note.explanation, "请摘下耳饰后重拍");
        let blank_note = notification(&event(Some(reject(Some("  "))))).unwrap();
        assert_eq!(blank_note.explanation, ReasonCode::Earrings.title_zh());
        let no_note = notification(&event(Some(reject(None)))).unwrap();
        assert_eq!(no_note.explanation, ReasonCode::Earrings.title_zh());
    }

    #[test]
    fn approval_and_publication_are_told() {
        let approved = notification(&event(Some(Command::Approve {
            reviewer: "r1".into(),
        })))
        .unwrap();
        assert_eq!(
            (approved.kind, approved.result()),
            (NoticeKind::Approved, "已通过")
        );
        let published = notification(&event(Some(Command::AcknowledgePublished {
            batch_id: BatchId::new(),
        })))
        .unwrap();
        assert_eq!(
            (published.kind, published.result()),
            (NoticeKind::Published, "已上报")
        );
    }

    #[test]
    fn each_step_of_the_prints_is_told_with_the_tracking_number_when_shipped() {
        let printed = notification(&event(Some(Command::Printed {
            batch_id: domain::PrintBatchId::new(),
        })))
        .unwrap();
        assert_eq!(
            (printed.kind, printed.result()),
            (NoticeKind::Printed, "已冲印")
        );
        let shipped = notification(&event(Some(Command::Shipped {
            courier: "顺丰速运".into(),
            tracking_no: "SF1000000001".into(),
        })))
        .unwrap();
        assert_eq!(shipped.kind, NoticeKind::Shipped);
        assert_eq!(shipped.explanation, "顺丰速运 SF1000000001");
        let message = shipped.message("o-1", "华南理工大学", "tpl-shipped", &landing());
        assert!(
            message
                .data
                .iter()
                .any(|(k, v)| k == "thing3" && v.contains("SF1000000001"))
        );
        let delivered = notification(&event(Some(Command::Delivered))).unwrap();
        assert_eq!(delivered.kind, NoticeKind::Delivered);
        // A student who confirmed the parcel themselves is not told what they just said.
        let mut own = event(Some(Command::Delivered));
        own.actor = Actor::Student;
        assert_eq!(notification(&own), None);
    }

    #[test]
    fn other_events_are_not_told() {
        let attempt_id = AttemptId::new();
        for command in [
            None,
            Some(Command::StartAttempt { attempt_id }),
            Some(Command::BeginProcessing { attempt_id }),
            Some(Command::RecordCheck {
                attempt_id,
                outcome: CheckOutcome::Passed {
                    review_flags: vec![ReasonCode::Blurry],
                },
            }),
            Some(Command::Submit {
                attempt_id,
                face_match: None,
            }),
            Some(Command::Batch {
                batch_id: BatchId::new(),
            }),
            Some(Command::Refund {
                order_no: "GP1".into(),
            }),
        ] {
            assert_eq!(notification(&event(command)), None);
        }
    }

    #[test]
    fn message_fills_the_four_keywords_within_their_limits() {
        let long_note = "照片背景不均匀，请在纯色墙前重新拍摄，并保持光线均匀明亮";
        let e = event(Some(reject(Some(long_note))));
        let n = notification(&e).unwrap();
        let message = n.message("o-1", "华南理工大学", "tmpl-rejected", &landing());
        assert_eq!(message.touser, "o-1");
        assert_eq!(message.template_id, "tmpl-rejected");
        assert_eq!(
            message.page,
            format!("pages/case/index?id={}", e.collection_id)
        );
        assert_eq!(message.state, MiniProgramState::Trial);
        let keywords: Vec<&str> = message.data.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keywords, ["thing1", "phrase2", "thing3", "time4"]);
        assert_eq!(message.data[0].1, "华南理工大学 毕业照片采集");
        assert_eq!(message.data[1].1, "未通过");
        assert_eq!(message.data[2].1.chars().count(), 20);
        assert!(message.data[2].1.ends_with('…'));
        // 06:30 UTC is 14:30 in China.
        assert_eq!(message.data[3].1, "2026-06-01 14:30");
    }
}
