//! The photo engine: turns a phone photo into the 学信网 graduate photo
//! (480×640 JPEG at 300 dpi on a plain background), or refuses it with
//! reasons the student can act on. DESIGN §5 describes the standard and the
//! seven steps; `REPORT.md` the report's schema. No AWS here: the
//! photo-processor function wraps [`Engine`].

pub mod card;
pub mod checks;
pub mod coverage;
pub mod decode;
pub mod descriptor;
pub mod detect;
pub mod encode;
pub mod engine;
pub mod error;
pub mod eval;
pub mod framing;
pub mod heap;
pub mod landmarks;
pub mod matbench;
pub mod matte;
pub mod measure;
pub mod models;
pub mod mouth;
pub mod place;
pub mod profile;
pub mod qa;
pub mod raster;
pub mod regions;
pub mod report;
pub mod segment;
pub mod sheet;
pub mod verify;
pub mod window;

pub use descriptor::{Descriptor, SAME_PERSON_MAX_DISTANCE};
pub use engine::{Engine, Outcome, Sampling, Timings};
pub use error::PhotoError;
pub use models::Models;
pub use profile::Profile;
pub use report::Report;
