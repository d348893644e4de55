//! `functions/api`: the HTTP API of the service (DESIGN §4), the only door for the mini program
//! and for operators. Handlers are thin: parse, ask the domain, write through the store, map
//! errors to `{code, message_zh, message_en}`.

pub mod app;
mod errors;
pub mod identity;
pub mod qr;
pub mod roster;
pub mod router;
mod routes;
pub mod views;

pub use app::App;
/// Tokens and errors are the `web` crate's, shared with the review function.
pub use web::{auth, error};
