//! Publishing to 学信网 (CHSI).
//!
//! Approved cases of one collection task go out in batches: [`Archive::build`] packs a
//! [`Batch`] into one zip (photos and `manifest.csv`), and a [`ChsiGateway`] delivers it. The
//! channel to 学信网 is open only to authorised agencies, so there are two gateways: the
//! [`S3Outbox`] an agency collects from, and the [`HttpGateway`] for a direct endpoint.

mod archive;
mod gateway;
mod http;
mod manifest;
mod outbox;

pub use archive::{Archive, ArchiveError, Batch, Entry, Photos};
pub use gateway::{ChsiGateway, Delivery, GatewayError, Receipt};
pub use http::HttpGateway;
pub use manifest::ManifestRow;
pub use outbox::S3Outbox;
