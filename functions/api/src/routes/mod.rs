//! The handlers, one module per area, behind one dispatch on the router's actions.

mod cases;
mod consent;
mod guards;
mod limits;
mod links;
mod own_data;
mod payments;
mod prints;
mod student;
mod tasks;

use web::{ApiResult, Ctx, Reply, Route};

use crate::App;
use crate::auth::Tokens;
use crate::router::{Action, ROUTES};

/// The API as the shared request pipeline serves it: its routes, keys and clock, and this
/// dispatch.
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

    async fn dispatch(&self, action: Action, ctx: &Ctx<'_>) -> ApiResult<Reply> {
        dispatch(self, action, ctx).await
    }
}

async fn dispatch(app: &App, action: Action, ctx: &Ctx<'_>) -> ApiResult<Reply> {
    match action {
        Action::Login => student::login(app, ctx).await,
        Action::Me => student::me(app, ctx).await,
        // Boxed: their futures hold several reads at once, and would grow every route's.
        Action::OwnData => Box::pin(own_data::data(app, ctx)).await,
        Action::Erasure => Box::pin(own_data::erasure(app, ctx)).await,
        Action::VerifyIdentity => student::verify_identity(app, ctx).await,
        Action::NewPortrait => student::new_portrait(app, ctx).await,
        Action::RequestTransfer => student::request_transfer(app, ctx).await,
        Action::LinkByRoster => links::by_roster(app, ctx).await,
        Action::LinkByChsiCode => links::by_chsi_code(app, ctx).await,
        Action::LinkBySessionCode => links::by_session_code(app, ctx).await,
        Action::AskLinkConfirmation => links::ask_confirmation(app, ctx).await,
        Action::ListCollections => cases::list(app, ctx).await,
        Action::GetCollection => cases::get(app, ctx).await,
        Action::CollectionEvents => cases::events(app, ctx).await,
        Action::StartAttempt => cases::start_attempt(app, ctx).await,
        Action::Submit => cases::submit(app, ctx).await,
        Action::Withdraw => cases::withdraw(app, ctx).await,
        Action::PrivacyNotice => consent::notice(app, ctx).await,
        Action::Pay => payments::pay(app, ctx).await,
        Action::PutAddress => prints::put_address(app, ctx).await,
        Action::PrintReceived => prints::received(app, ctx).await,
        Action::RequestRefund => payments::request_refund(app, ctx).await,
        Action::PaymentAnomalies => payments::anomalies(app, ctx).await,
        Action::ListTasks => tasks::list(app, ctx).await,
        Action::CreateTask => tasks::create(app, ctx).await,
        Action::GetTask => tasks::get(app, ctx).await,
        Action::ImportRoster => tasks::import_roster(app, ctx).await,
        Action::Progress => tasks::progress(app, ctx).await,
    }
}
