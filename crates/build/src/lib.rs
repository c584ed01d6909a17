//! `berth build`: turns a parsed Dockerfile, build arguments and a context into an image.
//!
//! - [`instructions`]: raw AST instructions -> typed commands (flags checked, locations kept),
//!   variable expansion per instruction, and their effect on the image configuration.
//! - [`context`]: the build context and other source trees: `.dockerignore` filtering, COPY/ADD
//!   source globs, content hashes for cache keys, and the copy itself with Docker's semantics.
//! - [`plan`]: stages, global ARGs, the target and what it depends on.
//! - [`exec`]: runs the plan: cache lookups, COPY/ADD on overlay snapshots, RUN through a
//!   [`exec::Runner`] the engine implements, layers written with `berth_store::diff`.

#![forbid(unsafe_code)]

pub mod context;
pub mod error;
pub mod exec;
pub mod fetch;
pub mod instructions;
pub mod options;
pub mod plan;
pub mod runner;

pub use error::{BuildError, Result};
pub use options::BuildOptions;
pub use runner::{BaseImage, Layer, RunStep, Runner, StepMount};
pub mod progress;
