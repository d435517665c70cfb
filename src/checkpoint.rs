//! Checkpoints: a model's weights in burn's record format (burnpack), with the settings that
//! rebuild its architecture. The native trainer and the page write and read the same files,
//! so weights trained on a big machine can be explored in the page.
//!
//! Layout: `LLCK`, the format version (u32 LE), the header's length (u32 LE), the header
//! (JSON, [`Header`]), then the records the header lists, back to back.

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::LabError;
use crate::model::ModelKind;
use crate::settings::{Settings, SettingsInput};

const MAGIC: &[u8; 4] = b"LLCK";
/// Bumped whenever a file of the previous version could not be read correctly.
pub const FORMAT_VERSION: u32 = 1;
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
    /// Byte length of each record that follows: the model's for the autoencoders, the
    /// generator's and the critic's for the GANs.
    pub records: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub header: Header,
    pub records: Vec<Vec<u8>>,
}

fn refuse(message: impl Into<String>) -> LabError {
    LabError::Checkpoint(message.into())
}

impl Checkpoint {
    pub fn new(settings: SettingsInput, step: u64, records: Vec<Vec<u8>>) -> Self {
        let lengths = records.iter().map(|r| r.len() as u64).collect();
        Checkpoint { header: Header { settings, step, records: lengths }, records }
    }

    /// The settings the weights were trained with, checked like a request from the page (an
    /// edited file with a negative learning rate or an unknown model is refused).
    /// `train_len(model)` is the size of that model's training set, if loaded.
    pub fn settings(&self, train_len: impl Fn(ModelKind) -> Option<usize>) -> Result<Settings, LabError> {
        let (settings, _) = Settings::default()
            .apply(&self.header.settings, train_len)
            .map_err(|e| refuse(format!("its settings are not valid: {e}")))?;
        Ok(settings)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising a struct of strings and numbers cannot fail.
        let header = serde_json::to_vec(&self.header).unwrap_or_default();
        let mut out = Vec::with_capacity(12 + header.len() + self.records.iter().map(Vec::len).sum::<usize>());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        for record in &self.records {
            out.extend_from_slice(record);
        }
        out
    }

    /// Parses a checkpoint's framing. Whether its settings and records fit a model is checked
    /// when they are loaded into one.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LabError> {
        if bytes.len() < 12 || &bytes[..4] != MAGIC {
            return Err(refuse("this is not a Latent Lab checkpoint (.llck) file"));
        }
        let version = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        if version != FORMAT_VERSION {
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
        let mut rest = &bytes[12 + header_len..];
        let total: u128 = header.records.iter().map(|&n| u128::from(n)).sum();
        if total != rest.len() as u128 {
            return Err(refuse(format!(
                "the checkpoint should hold {total} bytes of weights but holds {} (the file is truncated or damaged)",
                rest.len()
            )));
        }
        let records = header
            .records
            .iter()
            .map(|&n| {
                let (record, tail) = rest.split_at(n as usize);
                rest = tail;
                record.to_vec()
            })
            .collect();
        Ok(Checkpoint { header, records })
    }
}

/// A module's parameters and BN running statistics as burnpack bytes. Taken from the
/// `valid()` snapshot: a running statistic's latest update is only folded in by that sync,
/// and a record of the module itself would miss it.
pub fn record_bytes<M: Module>(module: &M) -> Result<Vec<u8>, String> {
    Ok(module.valid().into_record().into_bytes().map_err(|e| e.to_string())?.to_vec())
}

/// `module` with the parameters of `bytes`. Every parameter must be filled with the right
/// shape, and every tensor of the record must land somewhere: a record of another
/// architecture is refused, never half-loaded.
pub fn load_record<M: Module>(module: M, bytes: &[u8]) -> Result<M, String> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec())).map_err(|e| e.to_string())?;
    module.try_load_record(record).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        let settings = SettingsInput { model: Some("ae".into()), seed: Some(3.0), ..SettingsInput::default() };
        Checkpoint::new(settings, 42, vec![vec![1, 2, 3], vec![4, 5]])
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
        newer[4] = 2;
        let mut bad_header = bytes.clone();
        bad_header[12] = b'[';
        let mut huge_header = bytes.clone();
        huge_header[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        for (bytes, reason) in [
            (b"PK\x03\x04 a zip file".to_vec(), "not a Latent Lab checkpoint"),
            (bytes[..bytes.len() - 1].to_vec(), "truncated"),
            ([bytes.as_slice(), &[0]].concat(), "holds 6"),
            (bytes[..20].to_vec(), "truncated"),
            (newer, "format version 2"),
            (bad_header, "header cannot be read"),
            (huge_header, "header is damaged"),
            (Vec::new(), "not a Latent Lab checkpoint"),
        ] {
            let err = Checkpoint::from_bytes(&bytes).unwrap_err().to_string();
            assert!(err.contains(reason), "{err}");
        }
    }
}
