//! The checkpoint file's framing: a run as it stands, so that it can go on elsewhere or later
//! exactly as if it had not stopped: the model's weights and its optimisers' state in burn's
//! record format (burnpack, see `record`), the settings that rebuild its architecture, the
//! step count and data position, and the page's chart history. burn's RNG is reseeded from
//! the run's seed at every step (see `train::step_seed`), so no RNG state needs saving. The
//! native trainer and the page write and read the same files; what the fields mean is
//! docs/checkpoint-format.md. Whether a checkpoint fits a model is the session's to check.
//!
//! Layout: `LLCK`, the format version (u32 LE), the header's length (u32 LE), the header
//! (JSON, [`Header`]), then the weight records, the optimiser records and the history the
//! header lists, back to back.

use serde::{Deserialize, Serialize};

use crate::catalog::{MAX_WHOLE, Room};
use crate::data::DatasetId;
use crate::data::cursor::CursorState;
use crate::error::LabError;
use crate::model::ModelKind;
use crate::settings::{Settings, SettingsInput};
use crate::train::TrainerState;

const MAGIC: &[u8; 4] = b"LLCK";
/// Bumped whenever a file of the previous version could not be read correctly. Version 1
/// files (weights only) still load, with fresh optimisers.
pub const FORMAT_VERSION: u32 = 2;
/// A header is a few hundred bytes; anything far larger is not one of ours.
const MAX_HEADER: usize = 64 * 1024;
/// The name the page gives downloads and the native trainer suggests.
pub const EXTENSION: &str = "llck";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// Model, seed, preset and hyper-parameters, as the page would send them.
    pub settings: SettingsInput,
    /// Training steps behind the weights.
    pub step: u64,
    /// Byte length of each record of weights that follows: the model's for the autoencoders,
    /// the generator's and the critic's for the GANs.
    pub records: Vec<u64>,
    /// Byte length of each optimiser record that follows, in the same order (none in version 1).
    #[serde(default)]
    pub optimizers: Vec<u64>,
    /// Where the shuffled data order stood (none in version 1: it starts over).
    #[serde(default)]
    pub cursor: Option<CursorState>,
    /// Byte length of the history at the end (JSON the page writes and reads; 0: none).
    #[serde(default)]
    pub history: u64,
    /// The data the run trained on (none before it was recorded: any data is taken).
    #[serde(default)]
    pub dataset: Option<DatasetId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub header: Header,
    pub records: Vec<Vec<u8>>,
    pub optimizers: Vec<Vec<u8>>,
    /// The page's chart history, JSON it alone reads; empty when there is none.
    pub history: Vec<u8>,
}

fn refuse(message: impl Into<String>) -> LabError {
    LabError::Checkpoint(message.into())
}

impl Checkpoint {
    pub fn new(settings: SettingsInput, dataset: Option<DatasetId>, state: TrainerState) -> Self {
        let lengths = |records: &[Vec<u8>]| records.iter().map(|r| r.len() as u64).collect();
        let header = Header {
            settings,
            step: state.step,
            records: lengths(&state.weights),
            optimizers: lengths(&state.optimizers),
            cursor: state.cursor,
            history: 0,
            dataset,
        };
        Checkpoint { header, records: state.weights, optimizers: state.optimizers, history: Vec::new() }
    }

    /// The same checkpoint carrying the page's chart `history`.
    pub fn with_history(mut self, history: Vec<u8>) -> Self {
        self.header.history = history.len() as u64;
        self.history = history;
        self
    }

    /// The run to take up: weights, optimisers, step and data position.
    pub fn state(&self) -> TrainerState {
        TrainerState {
            weights: self.records.clone(),
            optimizers: self.optimizers.clone(),
            step: self.header.step,
            cursor: self.header.cursor,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising a struct of strings and numbers cannot fail.
        let header = serde_json::to_vec(&self.header).unwrap_or_default();
        let mut out = Vec::with_capacity(12 + header.len() + self.records.iter().map(Vec::len).sum::<usize>());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        for record in self.records.iter().chain(&self.optimizers) {
            out.extend_from_slice(record);
        }
        out.extend_from_slice(&self.history);
        out
    }

    /// The settings the run trained with, checked as a session checks them but with no bound
    /// from data or a device (nothing is built): what a run is, to compare with, unloaded.
    pub fn settings(&self) -> Result<Settings, LabError> {
        self.settings_within(|_| None::<usize>)
    }

    /// The settings the run trained with, checked within the `room` a session has for each
    /// model (see [`Settings::apply`]).
    pub fn settings_within<R: Into<Room>>(&self, room: impl Fn(ModelKind) -> R) -> Result<Settings, LabError> {
        Settings::default()
            .apply(&self.header.settings, room)
            .map(|(settings, _)| settings)
            .map_err(|e| refuse(format!("its settings are not valid: {e}")))
    }

    /// Parses a checkpoint's framing. Whether its settings and records fit a model is checked
    /// when they are loaded into one.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LabError> {
        if bytes.len() < 12 || &bytes[..4] != MAGIC {
            return Err(refuse("this is not a Latent Lab checkpoint (.llck) file"));
        }
        let version = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        if !(1..=FORMAT_VERSION).contains(&version) {
            return Err(refuse(format!(
                "the checkpoint has format version {version}, but this version of Latent Lab reads version {FORMAT_VERSION}"
            )));
        }
        let header_len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        if header_len > MAX_HEADER || 12 + header_len > bytes.len() {
            return Err(refuse("the checkpoint's header is damaged (the file is truncated)"));
        }
        let header: Header = serde_json::from_slice(&bytes[12..12 + header_len])
            .map_err(|e| refuse(format!("the checkpoint's header cannot be read: {e}")))?;
        if header.step > MAX_WHOLE {
            return Err(refuse(format!("its step count {} is beyond what the page can count ({MAX_WHOLE})", header.step)));
        }
        let mut rest = &bytes[12 + header_len..];
        let sections = header.records.iter().chain(&header.optimizers).chain([&header.history]);
        let total: u128 = sections.map(|&n| u128::from(n)).sum();
        if total != rest.len() as u128 {
            return Err(refuse(format!(
                "the checkpoint should hold {total} bytes of weights and history but holds {} (the file is truncated or damaged)",
                rest.len()
            )));
        }
        // Every length fits: their sum is the length of what is left.
        let mut take = |n: u64| {
            let (section, tail) = rest.split_at(n as usize);
            rest = tail;
            section.to_vec()
        };
        let records = header.records.iter().map(|&n| take(n)).collect();
        let optimizers = header.optimizers.iter().map(|&n| take(n)).collect();
        let history = take(header.history);
        Ok(Checkpoint { header, records, optimizers, history })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        let settings = SettingsInput { model: Some("ae".into()), seed: Some(3.0), ..SettingsInput::default() }.with("beta", 0.5);
        let state = TrainerState {
            weights: vec![vec![1, 2, 3], vec![4, 5]],
            optimizers: vec![vec![6], vec![7, 8]],
            step: 42,
            cursor: Some(CursorState { epoch: 1, pos: 3 }),
        };
        let dataset = DatasetId { name: "fashion".into(), builtin: true, hash: "0".repeat(32) };
        Checkpoint::new(settings, Some(dataset), state).with_history(b"{}".to_vec())
    }

    #[test]
    fn its_settings_are_checked_and_described_without_a_model() {
        let mut vae = sample();
        vae.header.settings = SettingsInput { model: Some("vae".into()), seed: Some(3.0), ..SettingsInput::default() }.with("beta", 0.01);
        let output = vae.settings().unwrap().output();
        assert_eq!((output.model, output.seed, output.values["beta"]), ("vae", 3, Some(0.01)));
        // The autoencoder has no KL weight.
        let error = sample().settings().unwrap_err().to_string();
        assert!(error.contains("its settings are not valid") && error.contains("beta"), "{error}");
    }

    #[test]
    fn round_trip() {
        let c = sample();
        assert_eq!(Checkpoint::from_bytes(&c.to_bytes()).unwrap(), c);
    }

    #[test]
    fn damaged_files_are_refused_with_a_reason() {
        let bytes = sample().to_bytes();
        let mut newer = bytes.clone();
        newer[4] = 3;
        let mut bad_header = bytes.clone();
        bad_header[12] = b'[';
        let mut huge_header = bytes.clone();
        huge_header[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut endless = sample();
        endless.header.step = u64::MAX;
        for (bytes, reason) in [
            (b"PK\x03\x04 a zip file".to_vec(), "not a Latent Lab checkpoint"),
            (bytes[..bytes.len() - 1].to_vec(), "truncated"),
            ([bytes.as_slice(), &[0]].concat(), "holds 11"),
            (bytes[..20].to_vec(), "truncated"),
            (newer, "format version 3"),
            (bad_header, "header cannot be read"),
            (huge_header, "header is damaged"),
            (Vec::new(), "not a Latent Lab checkpoint"),
            (endless.to_bytes(), "step count 18446744073709551615 is beyond what the page can count"),
        ] {
            let err = Checkpoint::from_bytes(&bytes).unwrap_err().to_string();
            assert!(err.contains(reason), "{err}");
        }
    }
}
