//! Printed photos (冲印、邮寄): operators see which approved cases have prints to make, make
//! sheets in batches, read the batch's addresses for the courier, and record shipping and
//! delivery (`shipping.rs`). The student is told of each step by the notifier.

mod shipping;

pub use shipping::{deliver, import_shipments, ship};

use domain::{Actor, Collection, Command, PrintBatchId, PrintStage, TransitionError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{PresignedGet, PrintBatch, SheetRecord, Shelf, UpdateError};
use time::OffsetDateTime;
use web::{ApiError, ApiResult, Ctx, JSON_LIMIT, Reply};

use crate::App;
use crate::errors;
use crate::queue::task_id;

/// The most cases one stage's listing shows.
const MAX_LISTED: usize = 500;
/// Sheets one request makes: each is decoded, drawn and encoded in the request (64 ms of one
/// core, `cargo bench -p print --bench sheet`), and the HTTP API answers within 30 s.
pub const MAX_SHEETS: usize = 20;

/// A case with prints, as the print pages list it (no address: that is read per batch, on
/// purpose, and recorded).
#[derive(Debug, Serialize)]
struct Listed {
    collection_id: String,
    student_number: String,
    stage: PrintStage,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    courier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracking_no: Option<String>,
}

impl Listed {
    fn of(case: &Collection) -> Option<Self> {
        let print = case.print.as_ref()?;
        Some(Self {
            collection_id: case.id.to_string(),
            student_number: case.student_number.clone(),
            stage: print.stage(),
            batch_id: print.printed.as_ref().map(|p| p.batch_id.to_string()),
            courier: print.shipped.as_ref().map(|s| s.courier.clone()),
            tracking_no: print.shipped.as_ref().map(|s| s.tracking_no.clone()),
        })
    }
}

/// `GET /v1/review/print/tasks/{task_id}`: the task's offer, its cases with prints to make,
/// to ship and on their way, and its recent batches.
pub async fn overview(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let table = &app.store.table;
    let task = table.task(task_id(ctx)?).await?;
    let mut stages = serde_json::Map::new();
    for stage in [
        PrintStage::Ordered,
        PrintStage::Printed,
        PrintStage::Shipped,
    ] {
        let cases = table.print_queue(task.id, stage, MAX_LISTED).await?;
        let listed: Vec<Listed> = cases.iter().filter_map(Listed::of).collect();
        stages.insert(
            stage.as_str().into(),
            serde_json::to_value(listed).unwrap_or_default(),
        );
    }
    let batches: Vec<_> = table
        .print_batches(task.id, 50)
        .await?
        .into_iter()
        .map(|b| {
            serde_json::json!({
                "batch_id": b.id,
                "created_at": errors::rfc3339(b.created_at),
                "operator": b.operator,
                "sheets": b.sheets.len(),
            })
        })
        .collect();
    Reply::ok(serde_json::json!({
        "task_id": task.id,
        "school": task.school,
        "offer": task.print,
        "cases": stages,
        "batches": batches,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    #[serde(default)]
    format: print::Format,
    #[serde(default)]
    max_sheets: Option<usize>,
}

/// `POST /v1/review/print/tasks/{task_id}/batches`: one sheet for each of the oldest cases
/// with prints ordered (up to `max_sheets`), written to the photos bucket with the batch's
/// record, then each case marked printed in that batch. A crash between the two leaves cases
/// still `ordered`: the next batch prints them, and the orphaned sheets are harmless. A case
/// whose sheet cannot be made (its approved photo missing or unreadable) is left out, named
/// in `skipped` and logged for an operator, so one bad case does not hold the others; a case
/// another operator's batch printed meanwhile is taken out of this one.
pub async fn make_batch(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let body: BatchBody = if ctx.body.is_empty() {
        BatchBody {
            format: print::Format::default(),
            max_sheets: None,
        }
    } else {
        ctx.json(JSON_LIMIT)?
    };
    let max = body.max_sheets.unwrap_or(MAX_SHEETS);
    if !(1..=MAX_SHEETS).contains(&max) {
        return Err(domain::ValidationError::new(
            "max_sheets",
            format!("must be between 1 and {MAX_SHEETS}"),
        )
        .into());
    }
    let operator = ctx.principal()?.subject.clone();
    let table = &app.store.table;
    let task = table.task(task_id(ctx)?).await?;
    let Some(offer) = task.print else {
        return Err(errors::no_print_offer());
    };
    let cases = table.print_queue(task.id, PrintStage::Ordered, max).await?;
    if cases.is_empty() {
        return Err(errors::nothing_to_print());
    }
    let settings = print::Settings::four_r(offer.width_mm, offer.height_mm, body.format);
    let id = PrintBatchId::new();
    let (mut sheets, mut skipped) = (Vec::with_capacity(cases.len()), Vec::new());
    for case in &cases {
        match sheet(app, case, task.id, id, &settings).await {
            Ok(sheet) => sheets.push(sheet),
            Err(Unprintable::Store(err)) => return Err(err.into()),
            Err(Unprintable::Photo(problem)) => {
                tracing::error!(case = %case.id, problem, alarm = "unprintable_case", "no sheet");
                skipped.push(serde_json::json!({"collection_id": case.id, "problem": problem}));
            }
        }
    }
    if sheets.is_empty() {
        return Err(ApiError::internal());
    }
    let mut batch = PrintBatch {
        id,
        task_id: task.id,
        operator: operator.clone(),
        created_at: ctx.now,
        sheets,
    };
    table.put_print_batch(&batch).await?;
    let mut taken = Vec::new();
    for sheet in &batch.sheets {
        let command = Command::Printed { batch_id: id };
        let actor = Actor::Operator(operator.clone());
        match table
            .transition(sheet.collection_id, command, actor, ctx.now)
            .await
        {
            Ok(_) => {}
            // Printed meanwhile by another operator's batch: that sheet is the one that counts.
            Err(UpdateError::Refused(_)) => taken.push(sheet.collection_id),
            Err(UpdateError::Store(err)) => return Err(err.into()),
        }
    }
    if !taken.is_empty() {
        batch.sheets.retain(|s| !taken.contains(&s.collection_id));
        table.replace_print_batch(&batch).await?;
    }
    let mut view = show_batch(app, &batch, ctx.now).await?;
    view["skipped"] = skipped.into();
    Ok(Reply {
        status: lambda_http::http::StatusCode::CREATED,
        body: view,
    })
}

/// Why a case got no sheet.
enum Unprintable {
    /// The store failed: worth the request's failure.
    Store(store::StoreError),
    /// The case's approved photo is missing or unreadable: an operator must look.
    Photo(&'static str),
}

impl From<store::StoreError> for Unprintable {
    fn from(err: store::StoreError) -> Self {
        Self::Store(err)
    }
}

/// Draws one case's sheet from its approved photo and stores it.
async fn sheet(
    app: &App,
    case: &Collection,
    task: domain::TaskId,
    batch: PrintBatchId,
    settings: &print::Settings,
) -> Result<SheetRecord, Unprintable> {
    let store = &app.store;
    let missing = Unprintable::Photo("the approved photo is missing");
    let Some(review) = case.review.as_ref() else {
        return Err(missing);
    };
    let Some(checked) = store.table.checked(case.id, review.attempt_id).await? else {
        return Err(missing);
    };
    let key = store::approved_photo_key(case, &checked);
    let Some(bytes) = store.objects.read_photo_object(&key).await? else {
        return Err(missing);
    };
    let photo = image::load_from_memory(&bytes)
        .map_err(|_| Unprintable::Photo("the approved photo does not decode"))?
        .to_rgb8();
    let sheet = print::render(&photo, &case.student_number, settings)
        .map_err(|_| Unprintable::Photo("the sheet could not be drawn"))?;
    let key = store::objects::print_sheet_key(
        task,
        batch,
        &case.student_number,
        settings.format.extension(),
    );
    let sha256 = hex(&Sha256::digest(&sheet.bytes));
    store
        .objects
        .put_photo_object(&key, settings.format.content_type(), sheet.bytes)
        .await?;
    Ok(SheetRecord {
        collection_id: case.id,
        student_number: case.student_number.clone(),
        key,
        sha256,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn batch_id(ctx: &Ctx<'_>) -> ApiResult<PrintBatchId> {
    batch_id_of(ctx.param(0))
}

pub(crate) fn batch_id_of(id: &str) -> ApiResult<PrintBatchId> {
    id.parse()
        .map_err(|_| ApiError::not_found("冲印批次", "Print batch"))
}

#[derive(Serialize)]
struct SheetView<'a> {
    collection_id: String,
    student_number: &'a str,
    sha256: &'a str,
    download: PresignedGet,
}

async fn show_batch(
    app: &App,
    batch: &PrintBatch,
    now: OffsetDateTime,
) -> ApiResult<serde_json::Value> {
    let mut sheets = Vec::with_capacity(batch.sheets.len());
    for s in &batch.sheets {
        sheets.push(SheetView {
            collection_id: s.collection_id.to_string(),
            student_number: &s.student_number,
            sha256: &s.sha256,
            download: app.store.objects.presign_get(Shelf::Photos, &s.key).await?,
        });
    }
    Ok(serde_json::json!({
        "batch_id": batch.id,
        "task_id": batch.task_id,
        "operator": batch.operator,
        "created_at": errors::rfc3339(batch.created_at),
        "read_at": errors::rfc3339(now),
        "sheets": sheets,
    }))
}

/// `GET /v1/review/print/batches/{batch_id}`: the batch's sheets, each with a short-lived
/// download link.
pub async fn batch(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let batch = app.store.table.print_batch(batch_id(ctx)?).await?;
    Reply::ok(show_batch(app, &batch, ctx.now).await?)
}

/// `GET /v1/review/print/batches/{batch_id}/addresses`: where each sheet of the batch goes, in
/// full, for the courier's labels. Each case's address read is recorded as an opening of the
/// case; delivered cases have no address any more and are left out.
pub async fn addresses(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let table = &app.store.table;
    let batch = table.print_batch(batch_id(ctx)?).await?;
    let mut rows = Vec::with_capacity(batch.sheets.len());
    for s in &batch.sheets {
        let Some(address) = table.address(s.collection_id).await? else {
            continue;
        };
        crate::case::record_look(app, ctx, s.collection_id).await?;
        let mut row = serde_json::to_value(&address).unwrap_or_default();
        row["collection_id"] = s.collection_id.to_string().into();
        row["student_number"] = s.student_number.clone().into();
        rows.push(row);
    }
    Reply::ok(serde_json::json!({ "batch_id": batch.id, "addresses": rows }))
}

/// What became of one case's step in a request that moves many.
#[derive(Debug, Serialize)]
pub(crate) struct Outcome {
    collection_id: String,
    /// `done`, `already` (recorded before: a replay), or the refusal's code.
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_en: Option<String>,
}

impl Outcome {
    pub(crate) fn of(
        case: domain::CollectionId,
        result: Result<(), UpdateError>,
    ) -> Result<Self, ApiError> {
        let (result, message_en) = match result {
            Ok(()) => ("done", None),
            Err(UpdateError::Refused(TransitionError::AlreadyApplied)) => ("already", None),
            Err(UpdateError::Refused(refusal)) => {
                let api: ApiError = refusal.into();
                (api.code, Some(api.message_en.into_owned()))
            }
            Err(UpdateError::Store(store::StoreError::NotFound { .. })) => {
                ("not_found", Some("no such case".into()))
            }
            Err(UpdateError::Store(err)) => return Err(err.into()),
        };
        Ok(Self {
            collection_id: case.to_string(),
            result,
            message_en,
        })
    }
}
