//! `functions/review`: the reviewers' routes (DESIGN §7), in a function of their own so that
//! reviewer access and permissions stay apart from the students' API. Reviewers take cases
//! from a task's queue under a lease, see the three photos, the check report and the face
//! match, and approve or reject; operators see the queue's age and the decisions per reviewer.
//! It also serves the console, the web page reviewers and operators work in.

mod case;
pub mod console;
mod decide;
mod errors;
mod printing;
mod queue;
mod report;
mod requests;
mod retouch;
mod staff;

use lambda_http::{Body, Request, Response};
use store::Store;
use web::{ApiResult, Ctx, Reply, Role, Route, Tokens};

use crate::console::Console;

/// What a route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Queues,
    TaskQueue,
    Next,
    Claim,
    Release,
    Case,
    Approve,
    Reject,
    SendToRetouch,
    RetouchQueue,
    RetouchCase,
    RetouchClaim,
    RetouchUpload,
    Reasons,
    Report,
    Revoke,
    Restore,
    CaseAccesses,
    StaffAccesses,
    Requests,
    ApproveRequest,
    RefuseRequest,
    Erasures,
    PrintOverview,
    MakePrintBatch,
    PrintBatch,
    PrintAddresses,
    Ship,
    ImportShipments,
    Deliver,
}

const REVIEWER: Option<&[Role]> = Some(&[Role::Reviewer]);
const STAFF: Option<&[Role]> = Some(&[Role::Reviewer, Role::Operator]);
const OPERATOR: Option<&[Role]> = Some(&[Role::Operator]);
const RETOUCHER: Option<&[Role]> = Some(&[Role::Retoucher]);
const RETOUCH_STAFF: Option<&[Role]> = Some(&[Role::Retoucher, Role::Operator]);

web::routes! { Action {
    GET "/v1/review/queues" => Queues, STAFF;
    GET "/v1/review/tasks/{task_id}/queue" => TaskQueue, STAFF;
    POST "/v1/review/tasks/{task_id}/next" => Next, REVIEWER;
    POST "/v1/review/cases/{collection_id}/claim" => Claim, REVIEWER;
    DELETE "/v1/review/cases/{collection_id}/claim" => Release, REVIEWER;
    GET "/v1/review/cases/{collection_id}" => Case, STAFF;
    POST "/v1/review/cases/{collection_id}/approve" => Approve, REVIEWER;
    POST "/v1/review/cases/{collection_id}/reject" => Reject, REVIEWER;
    POST "/v1/review/cases/{collection_id}/retouch" => SendToRetouch, REVIEWER;
    GET "/v1/review/retouch/queue" => RetouchQueue, RETOUCH_STAFF;
    GET "/v1/review/retouch/cases/{collection_id}" => RetouchCase, RETOUCH_STAFF;
    POST "/v1/review/retouch/cases/{collection_id}/claim" => RetouchClaim, RETOUCHER;
    POST "/v1/review/retouch/cases/{collection_id}/upload" => RetouchUpload, RETOUCHER;
    GET "/v1/review/cases/{collection_id}/accesses" => CaseAccesses, OPERATOR;
    GET "/v1/review/reasons" => Reasons, STAFF;
    GET "/v1/review/report" => Report, OPERATOR;
    GET "/v1/review/requests" => Requests, OPERATOR;
    POST "/v1/review/requests/{request_id}/approve" => ApproveRequest, OPERATOR;
    POST "/v1/review/requests/{request_id}/refuse" => RefuseRequest, OPERATOR;
    GET "/v1/review/erasures" => Erasures, OPERATOR;
    GET "/v1/review/print/tasks/{task_id}" => PrintOverview, OPERATOR;
    POST "/v1/review/print/tasks/{task_id}/batches" => MakePrintBatch, OPERATOR;
    GET "/v1/review/print/batches/{batch_id}" => PrintBatch, OPERATOR;
    GET "/v1/review/print/batches/{batch_id}/addresses" => PrintAddresses, OPERATOR;
    POST "/v1/review/print/shipments" => Ship, OPERATOR;
    POST "/v1/review/print/shipments/import" => ImportShipments, OPERATOR;
    POST "/v1/review/print/deliveries" => Deliver, OPERATOR;
    POST "/v1/staff/{subject}/revocation" => Revoke, OPERATOR;
    DELETE "/v1/staff/{subject}/revocation" => Restore, OPERATOR;
    GET "/v1/staff/{subject}/accesses" => StaffAccesses, OPERATOR;
}}

pub struct App {
    pub store: Store,
    pub tokens: Tokens,
    /// `None` where no console bucket is configured: `/console` then answers 404.
    pub console: Option<Console>,
}

impl App {
    /// Builds the function from its environment (see `infra/template.yaml`).
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let sdk = aws_config::load_from_env().await;
        let config = store::Config::load_with_pii(&sdk).await?;
        let store = Store::with_sdk_config(&sdk, config);
        let tokens = Tokens::new(store::secret(&sdk, "SESSION_SECRET").await?.as_bytes())?;
        // Off AWS (the local stack) presigned photo links point at the local endpoint.
        let endpoint = std::env::var("AWS_ENDPOINT_URL").ok();
        let console = std::env::var("CONSOLE_BUCKET").ok().map(|bucket| {
            Console::new(store.objects.client().clone(), bucket, endpoint.as_deref())
        });
        Ok(Self {
            store,
            tokens,
            console,
        })
    }

    /// One request: a console file under `/console`, else a review route.
    pub async fn respond(&self, request: Request) -> Response<Body> {
        let path = request.uri().path();
        match &self.console {
            Some(console)
                if request.method() == lambda_http::http::Method::GET
                    && console::is_console_path(path) =>
            {
                console.serve(path).await
            }
            _ => web::handle(self, request).await,
        }
    }
}

impl web::Service for App {
    type Action = Action;

    fn routes(&self) -> &'static [Route<Action>] {
        ROUTES
    }

    fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    fn clock(&self) -> &web::Clock {
        &self.store.clock
    }

    fn table(&self) -> &store::Table {
        &self.store.table
    }

    // Each route's future is boxed: the match would otherwise be as large as the largest of
    // them, and a debug build's test thread ran out of stack.
    async fn dispatch(&self, action: Action, ctx: &Ctx<'_>) -> ApiResult<Reply> {
        match action {
            Action::Queues => Box::pin(queue::queues(self, ctx)).await,
            Action::TaskQueue => Box::pin(queue::task_queue(self, ctx)).await,
            Action::Next => Box::pin(queue::next(self, ctx)).await,
            Action::Claim => Box::pin(queue::claim(self, ctx)).await,
            Action::Release => Box::pin(queue::release(self, ctx)).await,
            Action::Case => Box::pin(case::get(self, ctx)).await,
            Action::Approve => Box::pin(decide::approve(self, ctx)).await,
            Action::Reject => Box::pin(decide::reject(self, ctx)).await,
            Action::SendToRetouch => Box::pin(retouch::send(self, ctx)).await,
            Action::RetouchQueue => Box::pin(retouch::queue(self, ctx)).await,
            Action::RetouchCase => Box::pin(retouch::workspace(self, ctx)).await,
            Action::RetouchClaim => Box::pin(retouch::claim(self, ctx)).await,
            Action::RetouchUpload => Box::pin(retouch::upload(self, ctx)).await,
            Action::Reasons => case::reasons(),
            Action::Report => Box::pin(report::report(self, ctx)).await,
            Action::Revoke => Box::pin(staff::revoke(self, ctx)).await,
            Action::Restore => Box::pin(staff::restore(self, ctx)).await,
            Action::CaseAccesses => Box::pin(case::accesses(self, ctx)).await,
            Action::StaffAccesses => Box::pin(staff::accesses(self, ctx)).await,
            Action::Requests => Box::pin(requests::pending(self, ctx)).await,
            Action::ApproveRequest => Box::pin(requests::approve(self, ctx)).await,
            Action::RefuseRequest => Box::pin(requests::refuse(self, ctx)).await,
            Action::Erasures => Box::pin(requests::erasures(self, ctx)).await,
            Action::PrintOverview => Box::pin(printing::overview(self, ctx)).await,
            Action::MakePrintBatch => Box::pin(printing::make_batch(self, ctx)).await,
            Action::PrintBatch => Box::pin(printing::batch(self, ctx)).await,
            Action::PrintAddresses => Box::pin(printing::addresses(self, ctx)).await,
            Action::Ship => Box::pin(printing::ship(self, ctx)).await,
            Action::ImportShipments => Box::pin(printing::import_shipments(self, ctx)).await,
            Action::Deliver => Box::pin(printing::deliver(self, ctx)).await,
        }
    }
}
