//! A student's own data (PIPL Art. 45 and 47): all that is held about them, to download, and
//! their request to erase it. Erasure is asked here, approved by an operator and carried out
//! by the purger (DESIGN §3).

use domain::privacy::Consent;
use domain::{CardText, Collection, Event, PostalAddress};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply};

use crate::App;
use crate::routes::{cases, prints};
use crate::views::{CaseView, RequestView};

/// What is kept after an erasure, and why: said before the student asks.
const KEPT_ZH: &str = "删除后仍保留：已报送学信网的照片（由学信网保存）；支付与退款记录（依法保存的会计资料，\
    仅含订单号、金额和时间）；不含个人信息的采集记录。学校导入的学籍名单由学校依其保存期限处理。";
const KEPT_EN: &str = "Kept after erasure: a photo already published to CHSI (CHSI holds it); payment \
    and refund records (accounting records the law requires us to keep: order numbers, amounts and \
    times); the history of your cases without anything that names you. Your school's roster is \
    the school's, deleted under its own retention period.";

#[derive(Serialize)]
struct OwnData {
    #[serde(with = "time::serde::rfc3339")]
    exported_at: OffsetDateTime,
    /// The student's verified identity, in full: this is its owner.
    identity: Option<IdentityView>,
    /// What the current ID card's photo reads, if it was read.
    id_card: Option<CardView>,
    consents: Vec<Consent>,
    cases: Vec<CaseData>,
    /// An erasure asked for and not yet carried out.
    erasure: Option<RequestView>,
}

#[derive(Serialize)]
struct IdentityView {
    name: String,
    id_number: String,
    #[serde(with = "time::serde::rfc3339")]
    verified_at: OffsetDateTime,
}

#[derive(Serialize)]
struct CardView {
    portrait_id: String,
    name: Option<String>,
    id_number: Option<String>,
}

#[derive(Serialize)]
struct CaseData {
    #[serde(flatten)]
    case: CaseView,
    /// The payment as recorded (order, amount, when), if paid.
    payment: Option<domain::Payment>,
    /// The postal address for prints, in full, until the parcel is delivered.
    address: Option<PostalAddress>,
    /// Every change of the case: when, from and to which state, what, and by whom (a role).
    history: Vec<HistoryEntry>,
}

#[derive(Serialize)]
struct HistoryEntry {
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    what: &'static str,
    from: Option<domain::CollectionStatus>,
    to: domain::CollectionStatus,
    by: &'static str,
}

impl From<&Event> for HistoryEntry {
    fn from(e: &Event) -> Self {
        Self {
            at: e.at,
            what: e.kind(),
            from: e.from,
            to: e.to,
            by: match e.actor {
                domain::Actor::Student => "student",
                domain::Actor::Reviewer(_) => "reviewer",
                domain::Actor::Operator(_) => "operator",
                domain::Actor::PaymentProvider => "wechat_pay",
                domain::Actor::System(_) => "system",
            },
        }
    }
}

/// `GET /v1/me/data`: everything held about the student, in one JSON document.
pub async fn data(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let openid = ctx.student()?;
    let table = &app.store.table;
    let (student, consents, owned, erasure) = tokio::try_join!(
        table.student(openid),
        table.consents(openid),
        table.collections_of(openid),
        table.erasure_asked(openid),
    )?;
    let identity = student.as_ref().and_then(|s| s.identity.as_ref());
    let id_card = match student.as_ref().and_then(|s| s.portrait.as_ref()) {
        Some(portrait) => {
            let read = match store::PortraitChecked::of(portrait) {
                Some(card) => table.card_text(&card).await?,
                None => None,
            };
            let (name, id_number) = match read {
                Some(CardText::Read { name, id_number }) => {
                    (Some(name), Some(id_number.as_str().to_owned()))
                }
                _ => (None, None),
            };
            Some(CardView {
                portrait_id: portrait.id.to_string(),
                name,
                id_number,
            })
        }
        None => None,
    };
    let mut cases = Vec::with_capacity(owned.len());
    for case in &owned {
        cases.push(case_data(app, case).await?);
    }
    Reply::ok(OwnData {
        exported_at: ctx.now,
        identity: identity.map(|i| IdentityView {
            name: i.name.clone(),
            id_number: i.id_number.as_str().to_owned(),
            verified_at: i.verified_at,
        }),
        id_card,
        consents,
        cases,
        erasure: erasure.as_ref().map(RequestView::of),
    })
}

async fn case_data(app: &App, case: &Collection) -> ApiResult<CaseData> {
    let events = app.store.table.events(case.id).await?;
    Ok(CaseData {
        case: cases::view(app, case).await?,
        payment: case.payment.clone(),
        address: prints::address_for(app, case, true).await?,
        history: events.iter().map(HistoryEntry::from).collect(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErasureBody {
    /// The student confirmed, having read what is kept.
    confirm: bool,
}

#[derive(Serialize)]
struct ErasureReply {
    #[serde(flatten)]
    request: RequestView,
    kept_zh: &'static str,
    kept_en: &'static str,
}

/// `POST /v1/me/erasure` with `{"confirm": true}`: asks for the student's personal data to be
/// erased. Refused while a case of theirs waits on it (review, publication, a refund, prints
/// in the post); asking again returns the same request.
pub async fn erasure(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let openid = ctx.student()?;
    let body: ErasureBody = ctx.json(JSON_LIMIT)?;
    if !body.confirm {
        return Err(ApiError::from(domain::ValidationError::new(
            "confirm",
            "must be true: the student confirms the erasure",
        )));
    }
    let table = &app.store.table;
    let owned = table.collections_of(openid).await?;
    if let Some(why) = owned.iter().find_map(|c| c.erasable().err()) {
        return Err(why.into());
    }
    let request = table.ask_erasure(openid, ctx.now).await?;
    Reply::accepted(ErasureReply {
        request: RequestView::of(&request),
        kept_zh: KEPT_ZH,
        kept_en: KEPT_EN,
    })
}
