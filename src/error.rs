//! Typed errors. Every failure a user can cause (a bad file, a bad control value) is one of
//! these, never a panic: a panic kills the wasm instance and the user's training with it.

use thiserror::Error;

/// `v` as a message shows it: as written for everyday magnitudes, in exponent form with at
/// most six significant digits otherwise, so that 1e-320 is not three hundred digits long.
pub fn shown(v: f64) -> String {
    let plain = v.to_string();
    if plain.len() <= 12 {
        return plain;
    }
    let shortest = format!("{v:e}");
    if shortest.len() <= 12 {
        return shortest;
    }
    let exp = format!("{v:.5e}");
    let (mantissa, power) = exp.split_once('e').unwrap_or((&exp, "0"));
    let mantissa = if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa };
    format!("{mantissa}e{power}")
}

/// What is wrong inside an IDX file, independent of which file it is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdxError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {len} bytes long, too short for an IDX header")]
    TooShortForHeader { len: usize },
    #[error("the magic number is 0x{found:08x}, but an IDX {what} file starts with 0x{expected:08x}")]
    BadMagic { what: &'static str, found: u32, expected: u32 },
    #[error("the header promises {expected} bytes of data but the file holds {actual} (the file is truncated or has trailing bytes)")]
    SizeMismatch { expected: u128, actual: u128 },
    #[error("the images are {rows}x{cols} pixels, but MNIST's and Fashion-MNIST's are 28x28")]
    WrongImageSize { rows: u32, cols: u32 },
    #[error("label {label} at index {index} is not a digit 0-9")]
    LabelOutOfRange { index: usize, label: u8 },
    #[error("gzip decompression failed: {0}")]
    Gzip(String),
    #[error("the decompressed file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
}

/// A data file that could not be used: which file, what is wrong, what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DataError {
    #[error("{file}: {problem}. Re-run the set-up command to restore the dataset's files.")]
    Idx { file: String, problem: IdxError },
    #[error("{images_file} holds {images} images but {labels_file} holds {labels} labels. Use matching image and label files.")]
    CountMismatch { images_file: String, images: usize, labels_file: String, labels: usize },
}

/// What is wrong with your own data, naming the file or folder at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OwnError {
    #[error("'{name}' holds no images: give PNG or JPEG files (one sub-folder per class for labels), IDX files or a .npy array{skipped}")]
    Empty { name: String, skipped: String },
    #[error("'{name}' holds more than {limit} images: the page takes at most {limit} (MNIST's size). Give a smaller set.")]
    TooMany { name: String, limit: usize },
    #[error("'{name}' has {count} classes (sub-folders), but at most {limit} are supported")]
    TooManyClasses { name: String, count: usize, limit: usize },
    #[error("'{name}' holds one image: a dataset needs at least two (one to train on, one to test)")]
    TooFew { name: String },
    #[error("{file}: {problem}.")]
    Npy { file: String, problem: crate::data::npy::NpyError },
    #[error("{file}: {problem}.")]
    Idx { file: String, problem: IdxError },
    #[error("{file}: not a zip file that can be read ({problem}).")]
    Zip { file: String, problem: String },
    #[error("{images_file} holds {images} images but {labels_file} holds {labels} labels: labels must match the images in count.")]
    CountMismatch { images_file: String, images: usize, labels_file: String, labels: usize },
    #[error("{file} is an IDX labels file with no images file beside it: give its images file too.")]
    LabelsAlone { file: String },
    #[error("{file}: {width}x{height} pixels but {len} bytes of colour, not {expected}.")]
    BadPixels { file: String, width: usize, height: usize, len: usize, expected: usize },
}

/// Every error the library returns.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LabError {
    #[error(transparent)]
    Data(#[from] DataError),
    /// A control value (learning rate, batch size, model name...) that cannot be used.
    #[error("{message}")]
    InvalidConfig { field: &'static str, message: String },
    #[error("{0}")]
    Backend(String),
    /// Reading results back from the device failed (e.g. a lost GPU).
    #[error("reading results back from the device failed: {0}")]
    Readback(String),
    #[error("no 28x28 dataset is loaded yet")]
    NoData,
    #[error("no 40x40 images are loaded yet")]
    NoPolydata,
    /// Your own data could not be used.
    #[error(transparent)]
    Own(#[from] OwnError),
    /// A checkpoint that trained on other data than the loaded one.
    #[error("this run trained on {trained}, but {loaded} is loaded: pick the same data to resume it")]
    WrongDataset { trained: String, loaded: String },
    /// A latent classifier given data without labels.
    #[error("the {model} needs labelled data, and {dataset} has none: put the images in one sub-folder per class")]
    NeedsLabels { model: String, dataset: String },
    /// A judge could not be trained here: none was started, or its data went.
    #[error("no judge can be trained: {0}")]
    JudgeTraining(String),
    /// A judge's weights could not be read (a damaged or foreign file).
    #[error("the judge's weights cannot be used: {0}")]
    Judge(String),
    #[error("no judge is trained for {0}: the quality meters need one")]
    NoJudge(String),
    /// A checkpoint file that cannot be loaded (damaged, foreign, of another model or format).
    #[error("the checkpoint cannot be loaded: {0}")]
    Checkpoint(String),
}

impl LabError {
    /// A short machine-readable name, used as the JS error's `name`.
    pub fn kind(&self) -> &'static str {
        match self {
            LabError::Data(_)
            | LabError::Own(_)
            | LabError::WrongDataset { .. }
            | LabError::NeedsLabels { .. }
            | LabError::Judge(_)
            | LabError::JudgeTraining(_)
            | LabError::Checkpoint(_) => "DataError",
            LabError::InvalidConfig { .. } => "InvalidConfig",
            LabError::Backend(_) => "BackendError",
            LabError::Readback(_) => "ReadbackError",
            LabError::NoData | LabError::NoPolydata | LabError::NoJudge(_) => "NoData",
        }
    }

    /// The control the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            LabError::InvalidConfig { field, .. } => Some(field),
            _ => None,
        }
    }

    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        LabError::InvalidConfig { field, message: message.into() }
    }

    /// A failed read-back, from burn's execution error. Its text nests each cause on lines of
    /// its own ("X\nCaused by:\n  Y") and may end with a backtrace; the page shows one line,
    /// so the causes are joined ("X: Y") and the backtrace is dropped.
    pub(crate) fn readback(error: impl std::fmt::Display) -> Self {
        let text = error.to_string();
        let mut causes: Vec<&str> = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with("Backtrace") {
                break;
            }
            if !line.is_empty() && line != "Caused by:" && causes.last() != Some(&line) {
                causes.push(line.trim_end_matches('.'));
            }
        }
        LabError::Readback(causes.join(": "))
    }
}

#[cfg(test)]
mod tests {
    use super::{LabError, shown};

    #[test]
    fn numbers_in_messages_stay_short() {
        assert_eq!(shown(0.001), "0.001");
        assert_eq!(shown(4294967312.0), "4294967312");
        assert_eq!(shown(1e-320), "1e-320");
        assert_eq!(shown(-1.2345678e300), "-1.23457e300");
        assert_eq!(shown(f64::from(0.01f32)), "1e-2");
        assert_eq!(shown(f64::NAN), "NaN");
    }

    #[test]
    fn readback_errors_read_as_one_line() {
        // What burn reported in headless Chromium after its GPU process was crashed.
        let burn = "The device is poisoned\nCaused by:\n  The device is poisoned\nCaused by:\n  Unknown: A valid external Instance reference no longer exists.\nBacktrace:\nNo backtrace available";
        assert_eq!(
            LabError::readback(burn).to_string(),
            "reading results back from the device failed: The device is poisoned: Unknown: A valid external Instance reference no longer exists"
        );
    }
}
