//! The session: one run of one model on one backend, with its data, its settings and its
//! recovery. This is the platform-neutral core that both front-ends drive: the page's Web
//! Worker through the wasm-bindgen facade (`web`), and the `latent-lab` command line. It
//! decides everything that is not a matter of JavaScript or of a terminal: which data a
//! model trains on, when a run restarts, how a step is reported, when a snapshot is taken,
//! what a divergence rolls back to, how a failed GPU hands the run to the CPU, which backend
//! the automatic choice keeps from what the front-end timed, and what the
//! views and meters show. It is tested natively (tests/session.rs).

mod data;
mod drawing;
mod judging;
mod recovery;
mod trial;
mod views;

use serde::Serialize;

use crate::backend::{self, Backend, BackendKind};
use crate::catalog::{Builtin, DataSlot, Room};
use crate::checkpoint::Checkpoint;
use crate::data::own::{OwnImages, OwnSet};
use crate::error::{LabError, shown};
use crate::model::ModelKind;
use crate::settings::{Settings, SettingsInput, SettingsOutput, apply_each};
use crate::train::{ModelTrainer, StepReport, optimizer_state_loads};

pub use data::{Data28, Data40, DataSummary, Datasets, JudgeData, JudgeOf, judge_device};
pub use drawing::{Encoded, Nearest};
use judging::JudgeTraining;
pub use judging::{JudgePlan, JudgeProgress};
pub use recovery::{Recovery, SNAPSHOT_EVERY_MS};
pub use trial::{Settled, Trial};
pub use views::{DigitMeters, Grid, Meters, PolyMeters, Reconstructions, Split};

/// Most steps one `train` call may run: the worker asks for tens; a runaway value would
/// block the worker (and so the page's controls) for minutes.
pub const MAX_STEPS_PER_CALL: u32 = 1000;

/// A clock in milliseconds, from whatever the platform has (`performance.now()` in a browser).
pub type Clock = Box<dyn Fn() -> f64>;

/// What a change of settings did.
#[derive(Debug, Clone, Serialize)]
pub struct Configured {
    /// Whether a new run started (a new model, seed or preset).
    pub reset: bool,
    /// Whether the model can train: false while its data is not loaded.
    pub ready: bool,
}

/// What loading a dataset did.
#[derive(Debug, Clone, Serialize)]
pub struct Loaded {
    #[serde(flatten)]
    pub summary: DataSummary,
    /// Whether the current model trains on this data and so started a new run on it; a
    /// model that trains on other data keeps its run.
    pub restarted: bool,
    /// What the load changed besides the data: a batch size lowered to fit a small set.
    pub notice: Option<String>,
}

/// Where a run diverged, and where a rollback would take it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diverged {
    pub step: u64,
    pub value: f32,
    pub message: String,
    pub rollback_step: u64,
}

/// What a `train` call did: the steps' figures, where the time went, and a divergence.
#[derive(Debug, Clone)]
pub struct Trained {
    pub report: StepReport,
    /// How long the steps took (on WebGPU: recording and submitting them).
    pub step_ms: f64,
    /// How long the read-back took (on WebGPU: waiting for the GPU to finish).
    pub read_back_ms: f64,
    pub diverged: Option<Diverged>,
}

/// A checkpoint taken up by [`Session::load_checkpoint`].
#[derive(Debug, Clone)]
pub struct Resumed {
    /// The steps behind the weights.
    pub step: u64,
    /// The chart history saved with it (the page's JSON), empty when none.
    pub history: Vec<u8>,
    /// Why the optimiser starts afresh, when it does.
    pub optimizer_note: Option<&'static str>,
}

pub struct Session {
    backend: Backend,
    clock: Clock,
    settings: Settings,
    data: Datasets,
    trainer: Option<ModelTrainer>,
    /// What a divergence of the current run rolls back to; started over with each new run.
    recovery: Recovery,
    /// A judge in training for the loaded 28x28 data ([`Session::start_judge`]).
    judging: Option<JudgeTraining>,
}

impl Session {
    /// A session on `backend` with no data yet, timing itself by `clock`.
    pub fn new(backend: Backend, clock: Clock) -> Self {
        Session {
            backend,
            clock,
            settings: Settings::default(),
            data: Datasets::default(),
            trainer: None,
            recovery: Recovery::default(),
            judging: None,
        }
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn config(&self) -> SettingsOutput {
        self.settings.output()
    }

    pub fn data(&self) -> &Datasets {
        &self.data
    }

    /// What `model`'s settings must fit here: its training set, if loaded, and this
    /// backend's largest buffer.
    fn room(&self, model: ModelKind) -> Room {
        Room { train_len: self.data.train_len(model), max_buffer: self.backend.max_buffer }
    }

    fn trainer(&self) -> Result<&ModelTrainer, LabError> {
        self.trainer.as_ref().ok_or_else(|| Datasets::missing(self.settings.model()))
    }

    /// A fresh model and optimiser for `settings`, or none until its data is loaded.
    fn new_trainer(&self, settings: &Settings, from: Option<&Checkpoint>) -> Result<Option<ModelTrainer>, LabError> {
        let Some(data) = self.data.train_set(settings.model()) else { return Ok(None) };
        self.data.check_fits(settings.model())?;
        let mut trainer = ModelTrainer::new(&settings.recipe, self.backend.device.clone().autodiff(), data)?;
        if let Some(checkpoint) = from {
            trainer.restore(&checkpoint.state())?;
        }
        Ok(Some(trainer))
    }

    /// Starts the run of `settings` over, or changes nothing on an error.
    fn restart_with(&mut self, settings: Settings) -> Result<(), LabError> {
        self.trainer = self.new_trainer(&settings, None)?;
        self.settings = settings;
        self.recovery = Recovery::default();
        Ok(())
    }

    /// Parses the four IDX files of a built-in 28x28 dataset (train images, train labels,
    /// test images, test labels; gzip accepted). A bad file leaves the session as it was.
    pub fn load_idx(&mut self, dataset: Builtin, files: [&[u8]; 4]) -> Result<Loaded, LabError> {
        let loaded = Data28::parse(dataset, files)?;
        self.put_28(loaded)
    }

    /// Makes the polynomial GANs' built-in training set (the images `latent-lab polydata`
    /// writes by default), in place of any loaded one.
    pub fn generate_polydata(&mut self) -> Result<Loaded, LabError> {
        self.put_40(Data40::built_in())
    }

    /// Takes your own data (see [`crate::data::own::Collector`]) in place of the loaded data
    /// of its image size.
    pub fn load_own(&mut self, set: OwnSet) -> Result<Loaded, LabError> {
        let OwnSet { name, classes, images, report } = set;
        match images {
            OwnImages::Side28(splits) => self.put_28(Data28::own(&name, classes, splits, report)),
            OwnImages::Side40(images) => self.put_40(Data40::own(&name, images, report)),
        }
    }

    fn put_28(&mut self, data: Data28) -> Result<Loaded, LabError> {
        let summary = data.summary();
        let (restarted, notice) = self.put_data(|d| &mut d.side28, data, DataSlot::Side28)?;
        for judge in &mut self.data.judges {
            judge.real = None; // the real images' figures were of the old test set
        }
        Ok(Loaded { summary, restarted, notice })
    }

    fn put_40(&mut self, data: Data40) -> Result<Loaded, LabError> {
        let summary = data.summary();
        let (restarted, notice) = self.put_data(|d| &mut d.side40, data, DataSlot::Side40)?;
        Ok(Loaded { summary, restarted, notice })
    }

    /// Puts new data of `slot` in place. The current model's run starts over on it if the
    /// model trains on it, with the batch size lowered to the set's size where it was larger
    /// (said in the notice); any other model's run is not touched. On an error (a latent
    /// classifier given unlabelled data) the old data and run stay.
    fn put_data<T>(
        &mut self,
        place: fn(&mut Datasets) -> &mut Option<T>,
        data: T,
        slot: DataSlot,
    ) -> Result<(bool, Option<String>), LabError> {
        let previous = place(&mut self.data).replace(data);
        let model = self.settings.model();
        if model.slot() != slot {
            return Ok((false, None));
        }
        let (settings, notice) = self.settings.fitted(self.data.train_len(model));
        match self.restart_with(settings) {
            Ok(()) => Ok((true, notice)),
            Err(e) => {
                *place(&mut self.data) = previous;
                Err(e)
            }
        }
    }

    /// Applies `input`: numbers change the running training; a new model, seed or preset
    /// starts a new run (a new model from its first preset). Every value is checked before
    /// anything changes, and nothing changes on an error.
    pub fn configure(&mut self, input: &SettingsInput) -> Result<Configured, LabError> {
        let (settings, reset) = self.settings.apply(input, |m| self.room(m))?;
        self.take(settings, reset)
    }

    /// Applies a link's settings: all of them, or, when some are refused, each one that is
    /// accepted. Returns what changed and a refusal for each value that was not taken.
    pub fn configure_link(&mut self, input: &SettingsInput) -> Result<(Configured, Vec<LabError>), LabError> {
        let (settings, reset, refusals) = apply_each(&self.settings, input, |m| self.room(m));
        Ok((self.take(settings, reset)?, refusals))
    }

    /// Puts checked `settings` in force: a new run when `reset` (or none is running yet),
    /// else the new numbers for the running one.
    fn take(&mut self, settings: Settings, reset: bool) -> Result<Configured, LabError> {
        if reset || self.trainer.is_none() {
            self.restart_with(settings)?;
        } else {
            let train_len = self.data.train_len(settings.model()).unwrap_or(usize::MAX);
            if let Some(trainer) = self.trainer.as_mut() {
                trainer.set_config(&settings.recipe, train_len)?;
            }
            self.settings = settings;
        }
        Ok(Configured { reset: reset || self.trainer.is_none(), ready: self.trainer.is_some() })
    }

    /// A fresh model (next seed) with the same settings, keeping the loaded data.
    pub fn reset(&mut self) -> Result<(), LabError> {
        let mut settings = self.settings.clone();
        settings.recipe.set_seed(self.settings.next_seed());
        self.restart_with(settings)
    }

    /// Floating-point operations of one training step of the current model (matrix products
    /// only, a backward pass counted as two forward ones), for the benchmark's FLOP rates.
    pub fn flops_per_step(&self) -> Result<f64, LabError> {
        Ok(self.trainer()?.flops_per_step())
    }

    pub fn step_count(&self) -> Result<u64, LabError> {
        Ok(self.trainer()?.step_count())
    }

    /// Runs `steps` optimisation steps (for a GAN, generator updates with the critic updates
    /// its rule puts before each), then reads their figures back in one transfer. When a loss
    /// became NaN or infinite or exploded (see `train::guard`), `diverged` says so: the caller
    /// should stop and offer [`Self::rollback`]. Otherwise the run's state is kept now and then
    /// to roll back to.
    pub async fn train(&mut self, steps: u32) -> Result<Trained, LabError> {
        if steps > MAX_STEPS_PER_CALL {
            return Err(LabError::invalid("steps", format!("one call trains at most {MAX_STEPS_PER_CALL} steps, not {steps}")));
        }
        let model = self.settings.model();
        let data = self.data.train_set(model).ok_or_else(|| Datasets::missing(model))?;
        let trainer = self.trainer.as_mut().ok_or_else(|| Datasets::missing(model))?;
        let started = (self.clock)();
        for _ in 0..steps {
            trainer.step(data)?;
        }
        let stepped = (self.clock)();
        let report = trainer.read_back().await?;
        let read_back_ms = (self.clock)() - stepped;
        let diverged = match self.recovery.check(&report) {
            None => {
                self.keep_good_state().await?;
                None
            }
            Some(d) => Some(Diverged { step: d.step, value: d.value, message: d.message, rollback_step: self.recovery.rollback_step() }),
        };
        Ok(Trained { report, step_ms: stepped - started, read_back_ms, diverged })
    }

    /// After a read-back of finite losses: the previous snapshot is now known good, and a new
    /// one is taken when the last is old enough.
    async fn keep_good_state(&mut self) -> Result<(), LabError> {
        let now = (self.clock)();
        if self.recovery.trust_candidate(now) {
            let snapshot = self.checkpoint().await?;
            self.recovery.set_candidate(snapshot, now);
        }
        Ok(())
    }

    /// The run as a checkpoint: weights, optimiser state, step, data position and settings.
    /// On WebGPU the weights are read back asynchronously through a CPU copy and the optimiser
    /// state is left out: burn writes records, optimiser state included, by reading tensors
    /// synchronously, which a browser's GPU does not allow.
    pub async fn checkpoint(&self) -> Result<Checkpoint, LabError> {
        let trainer = self.trainer()?;
        let settings = self.settings.input();
        let state = if self.backend.kind == BackendKind::WebGpu {
            // The autosave, after a train call that often took a snapshot of this very step,
            // need not read every weight back from the GPU again.
            if let Some(kept) = self.recovery.kept(trainer.step_count(), &settings) {
                return Ok(kept.clone());
            }
            trainer.snapshot(&backend::cpu(BackendKind::Flex, "snapshot").device).await?
        } else {
            trainer.state()?
        };
        Ok(Checkpoint::new(settings, self.data.id(self.settings.model().slot()).cloned(), state))
    }

    /// Rolls the run back to its last good state (the run's start when none was kept yet)
    /// with every learning rate multiplied by `factor` (in (0, 1]): the way out of a
    /// divergence. Returns the step it went back to. Nothing changes on an error.
    pub fn rollback(&mut self, factor: f64) -> Result<u64, LabError> {
        if !(factor > 0.0 && factor <= 1.0) {
            return Err(LabError::invalid(
                "factor",
                format!("the learning rates can be multiplied by more than 0 and at most 1, not {}", shown(factor)),
            ));
        }
        let settings = self.settings.scaled_rates(factor)?;
        let trainer = self.new_trainer(&settings, self.recovery.good.as_ref())?.ok_or_else(|| Datasets::missing(settings.model()))?;
        let step = trainer.step_count();
        (self.settings, self.trainer) = (settings, Some(trainer));
        self.recovery.forget_candidate();
        Ok(step)
    }

    /// Moves the run to the CPU backend (burn-flex) after the GPU failed (its device was lost,
    /// or it returned an error): the model is rebuilt there from the last good state kept in
    /// memory (weights, step and data position, with a fresh optimiser) or, without one, from
    /// the run's start. `reason` is shown as why the CPU is used. Returns the step it goes on from.
    pub fn fall_back_to_cpu(&mut self, reason: String) -> Result<u64, LabError> {
        let gpu = std::mem::replace(&mut self.backend, backend::cpu(BackendKind::Flex, reason).saying("CPU: the GPU failed"));
        match self.new_trainer(&self.settings, self.recovery.good.as_ref()) {
            Ok(Some(trainer)) => {
                let step = trainer.step_count();
                self.trainer = Some(trainer);
                self.recovery.forget_candidate();
                Ok(step)
            }
            Ok(None) => {
                self.backend = gpu;
                Err(Datasets::missing(self.settings.model()))
            }
            Err(e) => {
                self.backend = gpu;
                Err(e)
            }
        }
    }

    /// Resumes the run of a checkpoint file (from [`Self::checkpoint`] or the native trainer):
    /// its model and settings replace the current ones, its weights, optimiser state, step and
    /// data position the model's, so that the next step is the one the saved run would have
    /// taken (on the same backend; a version 1 file has weights only and starts fresh
    /// optimisers). The model's data must be loaded. A damaged file, or one of an unknown
    /// model, with invalid settings or with weights or optimiser state that do not fit its
    /// architecture, is refused and nothing changes.
    pub fn load_checkpoint(&mut self, bytes: &[u8]) -> Result<Resumed, LabError> {
        let checkpoint = Checkpoint::from_bytes(bytes)?;
        let settings = checkpoint.settings_within(|m| self.room(m))?;
        if let (Some(trained), Some(loaded)) = (&checkpoint.header.dataset, self.data.id(settings.model().slot()))
            && trained.hash != loaded.hash
        {
            return Err(LabError::WrongDataset { trained: trained.describe(), loaded: loaded.describe() });
        }
        let trainer = self.new_trainer(&settings, Some(&checkpoint))?.ok_or_else(|| Datasets::missing(settings.model()))?;
        (self.settings, self.trainer) = (settings, Some(trainer));
        self.recovery = Recovery::default();
        let optimizer_note = if checkpoint.optimizers.is_empty() {
            Some("It holds no optimiser state (saved on WebGPU, or by an older version): the optimiser starts afresh.")
        } else if !optimizer_state_loads(&self.backend.device) {
            Some(
                "Its optimiser state starts afresh: burn 0.22 loads optimiser state only onto its default device, which is WebGPU in the page's WebGPU build and burn-flex in its CPU build.",
            )
        } else {
            None
        };
        Ok(Resumed { step: checkpoint.header.step, history: checkpoint.history, optimizer_note })
    }
}
