//! Shipping printed photos: the courier and tracking number per case or for a whole batch
//! (one parcel to a school's office), typed in or imported as the courier's CSV; then
//! delivery, which also deletes the address: its purpose ended.

use domain::{Actor, CollectionId, Command};
use serde::Deserialize;
use store::{Along, UpdateError};
use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply};

use super::{Outcome, batch_id_of};
use crate::App;

/// Cases one request moves: a courier's daily export for one school.
const MAX_CASES: usize = 500;
/// 500 rows of CSV are far below this.
const CSV_LIMIT: usize = 256 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Parcel {
    collection_id: String,
    courier: String,
    tracking_no: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShipBody {
    /// One parcel per case.
    #[serde(default)]
    parcels: Vec<Parcel>,
    /// Or every case of a batch in one parcel.
    #[serde(default)]
    batch_id: Option<String>,
    #[serde(default)]
    courier: Option<String>,
    #[serde(default)]
    tracking_no: Option<String>,
}

/// `POST /v1/review/print/shipments`: `{parcels: [{collection_id, courier, tracking_no}]}`,
/// or `{batch_id, courier, tracking_no}` for a batch sent as one parcel.
pub async fn ship(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let body: ShipBody = ctx.json(JSON_LIMIT)?;
    let parcels = match (body.batch_id, body.courier, body.tracking_no) {
        (Some(batch), Some(courier), Some(tracking_no)) if body.parcels.is_empty() => {
            let batch = app.store.table.print_batch(batch_id_of(&batch)?).await?;
            batch
                .sheets
                .iter()
                .map(|s| (s.collection_id, courier.clone(), tracking_no.clone()))
                .collect()
        }
        (None, None, None) if !body.parcels.is_empty() => body
            .parcels
            .into_iter()
            .map(|p| Ok((case_of(&p.collection_id)?, p.courier, p.tracking_no)))
            .collect::<ApiResult<Vec<_>>>()?,
        _ => {
            return Err(ApiError::bad_request(
                "请填写每件的快递信息，或为整批填写一个快递单号",
                "give parcels, or a batch_id with one courier and tracking_no",
            ));
        }
    };
    record_shipments(app, ctx, parcels).await
}

/// `POST /v1/review/print/shipments/import`: the courier's CSV (UTF-8 or GB18030) with the
/// columns `collection_id, courier, tracking_no` (or 案件编号, 快递公司, 运单号). Every row
/// is checked before any is recorded.
pub async fn import_shipments(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    if ctx.body.len() > CSV_LIMIT {
        return Err(ApiError::too_large(CSV_LIMIT));
    }
    let parcels = parse_csv(ctx.body).map_err(|problem| {
        ApiError::new(
            lambda_http::http::StatusCode::UNPROCESSABLE_ENTITY,
            "shipments_unreadable",
            format!("快递单文件有误：{problem}"),
            format!("the shipments file is not usable: {problem}"),
        )
    })?;
    record_shipments(app, ctx, parcels).await
}

fn parse_csv(bytes: &[u8]) -> Result<Vec<(CollectionId, String, String)>, String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => {
            let (text, _, bad) = encoding_rs::GB18030.decode(bytes);
            if bad {
                return Err("neither UTF-8 nor GB18030 text".into());
            }
            text.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("header row: {e}"))?
        .clone();
    let column = |names: [&str; 2]| {
        headers
            .iter()
            .position(|h| names.contains(&h))
            .ok_or_else(|| format!("no {} column", names[0]))
    };
    let (case, courier, tracking) = (
        column(["collection_id", "案件编号"])?,
        column(["courier", "快递公司"])?,
        column(["tracking_no", "运单号"])?,
    );
    let mut parcels = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| format!("line {line}: {e}"))?;
        let field = |n: usize| row.get(n).unwrap_or_default().to_owned();
        let id = field(case)
            .parse()
            .map_err(|_| format!("line {line}: not a case id"))?;
        parcels.push((id, field(courier), field(tracking)));
        if parcels.len() > MAX_CASES {
            return Err(format!("more than {MAX_CASES} rows"));
        }
    }
    if parcels.is_empty() {
        return Err("no rows".into());
    }
    Ok(parcels)
}

fn case_of(id: &str) -> ApiResult<CollectionId> {
    id.parse()
        .map_err(|_| ApiError::bad_request("案件编号有误", format!("{id:?} is not a case id")))
}

async fn record_shipments(
    app: &App,
    ctx: &Ctx<'_>,
    parcels: Vec<(CollectionId, String, String)>,
) -> ApiResult<Reply> {
    if parcels.len() > MAX_CASES {
        return Err(ApiError::bad_request(
            format!("一次最多登记 {MAX_CASES} 件"),
            format!("at most {MAX_CASES} cases per request"),
        ));
    }
    let actor = Actor::Operator(ctx.principal()?.subject.clone());
    let mut outcomes = Vec::with_capacity(parcels.len());
    for (case, courier, tracking_no) in parcels {
        let command = Command::Shipped {
            courier,
            tracking_no,
        };
        let result = app
            .store
            .table
            .transition(case, command, actor.clone(), ctx.now)
            .await
            .map(drop);
        outcomes.push(Outcome::of(case, result)?);
    }
    Reply::ok(serde_json::json!({ "results": outcomes }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliverBody {
    collection_ids: Vec<String>,
}

/// `POST /v1/review/print/deliveries`: the courier says these parcels arrived. Each case's
/// address is deleted in the same write.
pub async fn deliver(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let body: DeliverBody = ctx.json(JSON_LIMIT)?;
    if body.collection_ids.is_empty() || body.collection_ids.len() > MAX_CASES {
        return Err(ApiError::bad_request(
            format!("请选择 1 至 {MAX_CASES} 件"),
            format!("give 1 to {MAX_CASES} collection_ids"),
        ));
    }
    let ids = body
        .collection_ids
        .iter()
        .map(|id| case_of(id))
        .collect::<ApiResult<Vec<_>>>()?;
    let actor = Actor::Operator(ctx.principal()?.subject.clone());
    let mut outcomes = Vec::with_capacity(ids.len());
    for case in ids {
        let result: Result<(), UpdateError> = app
            .store
            .table
            .transition_along(
                case,
                Command::Delivered,
                actor.clone(),
                ctx.now,
                &[Along::ForgetAddress(case)],
            )
            .await
            .map(drop);
        outcomes.push(Outcome::of(case, result)?);
    }
    Reply::ok(serde_json::json!({ "results": outcomes }))
}
