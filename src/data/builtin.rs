//! The built-in datasets and the two image sizes a model trains on: what the page lists in
//! its Dataset menu and the command line takes by name. Every other dataset is your own
//! (`own`).

use serde::{Deserialize, Serialize};

use super::IMAGE_SIDE;
use super::poly::POLY_SIDE;

/// Which of the session's two training sets a model learns from. Every dataset of that image
/// size fits the model; your own images are resized to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DataSlot {
    /// 28x28 grey images (MNIST, Fashion-MNIST or your own), labelled or not.
    Side28,
    /// 40x40 images as the polynomial GANs read them (docs/models.md).
    Side40,
}

impl DataSlot {
    pub fn side(self) -> usize {
        match self {
            Self::Side28 => IMAGE_SIDE,
            Self::Side40 => POLY_SIDE,
        }
    }

    /// The dataset a model of this slot trains on until another is picked.
    pub fn default_dataset(self) -> Builtin {
        match self {
            Self::Side28 => Builtin::Mnist,
            Self::Side40 => Builtin::Poly,
        }
    }
}

/// The datasets the page and the command line know by name; anything else is your own data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Builtin {
    Mnist,
    Fashion,
    /// Polynomial contours, made where they are needed (`data::poly`).
    Poly,
}

const FASHION_CLASSES: [&str; 10] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

impl Builtin {
    pub const ALL: [Builtin; 3] = [Builtin::Mnist, Builtin::Fashion, Builtin::Poly];

    /// Its name in links, checkpoints and on the command line (as serialised).
    pub fn name(self) -> &'static str {
        match self {
            Self::Mnist => "mnist",
            Self::Fashion => "fashion",
            Self::Poly => "poly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Mnist => "MNIST",
            Self::Fashion => "Fashion-MNIST",
            Self::Poly => "polynomial images",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }

    pub fn slot(self) -> DataSlot {
        match self {
            Self::Mnist | Self::Fashion => DataSlot::Side28,
            Self::Poly => DataSlot::Side40,
        }
    }

    /// The name of each label, in label order; none for unlabelled data.
    pub fn classes(self) -> &'static [&'static str] {
        match self {
            Self::Mnist => &DIGITS,
            Self::Fashion => &FASHION_CLASSES,
            Self::Poly => &[],
        }
    }

    /// Whether a frozen classifier judges GAN samples of this dataset (trained by
    /// `latent-lab judge --dataset NAME` at set-up).
    pub fn judged(self) -> bool {
        self.slot() == DataSlot::Side28
    }

    pub fn info(self) -> DatasetInfo {
        DatasetInfo { name: self.name(), label: self.label(), slot: self.slot(), classes: self.classes(), judged: self.judged() }
    }
}

/// What the page shows of a built-in dataset before it is loaded.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetInfo {
    pub name: &'static str,
    pub label: &'static str,
    pub slot: DataSlot,
    pub classes: &'static [&'static str],
    pub judged: bool,
}
