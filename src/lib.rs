//! Latent Lab: generative models trained live in the browser with burn.
//!
//! The layers, from the bottom: data formats and batching ([`data`]), devices ([`backend`]),
//! the networks ([`model`]), burn's record format ([`record`]), training ([`train`]), the
//! catalog of models, presets and controls ([`catalog`]), settings ([`settings`]), the
//! checkpoint file ([`checkpoint`]), and the platform-neutral [`session`] that both front-ends
//! drive: the wasm-bindgen facade `web` that a Web Worker calls, and the `latent-lab`
//! command line. docs/architecture.md draws the map.

pub mod backend;
pub mod catalog;
pub mod checkpoint;
pub mod data;
pub mod error;
pub mod metrics;
pub mod model;
pub mod record;
pub mod render;
pub mod session;
pub mod settings;
pub mod train;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{DataError, IdxError, LabError, OwnError};
