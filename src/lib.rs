//! Latent Lab: generative models trained live in the browser with burn.
//!
//! The crate is one backend-agnostic core (data, models, training, rendering) with two thin
//! faces: the wasm-bindgen [`web::Session`] that a Web Worker drives, and native tests and
//! the `latent-lab` command line that link the same code as an rlib. Only [`backend`] creates devices.

pub mod backend;
pub mod checkpoint;
pub mod data;
pub mod error;
pub mod metrics;
pub mod model;
pub mod render;
pub mod settings;
pub mod train;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{DataError, IdxError, ImagesError, LabError};
