//! Printed photos, the student's side: the postal address the prints go to (sealed; shown in
//! full to its owner only), and confirming the parcel arrived. Ordering is part of paying
//! (`payments.rs`); printing and shipping are the operators' (functions/review).

use domain::{Actor, Collection, Command, PostalAddress, PrintStage};
use serde::Deserialize;
use store::Along;
use web::{ApiResult, Ctx, JSON_LIMIT, Reply};

use crate::routes::guards::visible_case;
use crate::views::PrintView;
use crate::{App, errors};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressBody {
    recipient: String,
    phone: String,
    province: String,
    city: String,
    district: String,
    detail: String,
}

/// `PUT /v1/collections/{id}/address`: where the prints go. It may be changed until they are
/// shipped; it is deleted once they are delivered.
pub async fn put_address(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    ctx.student()?;
    let case = visible_case(app, ctx).await?;
    let body: AddressBody = ctx.json(JSON_LIMIT)?;
    let address = PostalAddress::parse(PostalAddress {
        recipient: body.recipient,
        phone: body.phone,
        province: body.province,
        city: body.city,
        district: body.district,
        detail: body.detail,
    })?;
    let task = app.store.table.task(case.task_id).await?;
    if task.print.is_none() {
        return Err(errors::no_print_offer());
    }
    if case
        .print
        .as_ref()
        .is_some_and(|p| p.stage() >= PrintStage::Shipped)
    {
        return Err(errors::print_shipped());
    }
    app.store.table.put_address(case.id, &address).await?;
    Reply::ok(serde_json::json!({ "address": address }))
}

/// `POST /v1/collections/{id}/print/received`: the student confirms the parcel arrived; the
/// address goes in the same write.
pub async fn received(app: &App, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    ctx.student()?;
    let case = visible_case(app, ctx).await?;
    let next = app
        .store
        .table
        .transition_along(
            case.id,
            Command::Delivered,
            Actor::Student,
            ctx.now,
            &[Along::ForgetAddress(case.id)],
        )
        .await?
        .next;
    Reply::ok(serde_json::json!({ "print": PrintView::of_order(&next) }))
}

/// The address as `case`'s viewer may see it: in full to its owner, masked to an operator.
pub async fn address_for(
    app: &App,
    case: &Collection,
    owner: bool,
) -> ApiResult<Option<PostalAddress>> {
    let address = app.store.table.address(case.id).await?;
    Ok(address.map(|a| if owner { a } else { a.masked() }))
}
