//! The automatic choice of backend, by measurement: a trial is the run's model on its
//! backend's rival ([`Backend::rival`]), trained apart from the run on the run's data, so that
//! the page can time a few steps on each before the faster one trains the run
//! (docs/architecture.md). The timing is the front-end's, which has the clock and decides when
//! the run may wait for it; what to make of the figures, and the move itself, are the
//! session's.

use crate::backend::{Backend, BackendKind};
use crate::error::LabError;
use crate::model::ModelKind;
use crate::train::ModelTrainer;

use super::{Datasets, MAX_STEPS_PER_CALL, Session};

/// The run's model, freshly initialised on another backend: its steps cost what the run's
/// would there, and the run's own state replaces its weights only if the run moves.
pub struct Trial {
    backend: Backend,
    model: ModelKind,
    trainer: ModelTrainer,
}

impl Trial {
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Waits until the steps recorded on the trial have run (on WebGPU: until the GPU has
    /// finished them); fails as a step of the run would.
    pub async fn finish(&mut self) -> Result<(), LabError> {
        self.trainer.read_back().await.map(drop)
    }
}

/// What settling a trial did.
#[derive(Debug, Clone, Copy)]
pub struct Settled {
    /// Whether the run moved onto the trial's backend.
    pub moved: bool,
    /// The step the run goes on from.
    pub step: u64,
}

impl Session {
    /// The run's model and settings on `backend`, which must be the rival of the run's
    /// backend. When it is not (the rival's device did not come up, and the CPU stood in),
    /// there is nothing to measure: the run stays, the header says why, and this is an error.
    pub fn trial(&mut self, backend: Backend) -> Result<Trial, LabError> {
        if self.backend.rival != Some(backend.kind) {
            let wanted = self.backend.rival.map_or("no rival", BackendKind::word);
            let why = format!("{wanted} could not be timed: {}", backend.reason);
            self.backend.rival = None;
            self.backend.phrase = "CPU: the GPU did not start".into();
            self.backend.reason.clone_from(&why);
            return Err(LabError::Backend(why));
        }
        let model = self.settings.model();
        let data = self.data.train_set(model).ok_or_else(|| Datasets::missing(model))?;
        let trainer = ModelTrainer::new(&self.settings.recipe, backend.device.clone().autodiff(), data)?;
        Ok(Trial { backend, model, trainer })
    }

    /// Records `steps` steps of `trial` on the run's data ([`Trial::finish`] waits for them).
    /// A trial of another model than the run's is refused.
    pub fn step_trial(&self, trial: &mut Trial, steps: u32) -> Result<(), LabError> {
        if trial.model != self.settings.model() {
            return Err(LabError::invalid("trial", "this trial is of another model's run: start a new one"));
        }
        if steps > MAX_STEPS_PER_CALL {
            return Err(LabError::invalid("steps", format!("one call trains at most {MAX_STEPS_PER_CALL} steps, not {steps}")));
        }
        let data = self.data.train_set(trial.model).ok_or_else(|| Datasets::missing(trial.model))?;
        for _ in 0..steps {
            trial.trainer.step(data)?;
        }
        Ok(())
    }

    /// Keeps the faster of the run's backend and the trial's for this model, given the
    /// milliseconds per step of each (`run_ms`, `trial_ms`). When it is the trial's, the run
    /// moves there from where it stands (weights, step and data position; the optimiser state
    /// where that backend takes it up), and the backend it left becomes the rival for the next
    /// model. Either way the header gives both times.
    pub async fn settle(&mut self, trial: Trial, run_ms: f64, trial_ms: f64) -> Result<Settled, LabError> {
        for (name, ms) in [("runMs", run_ms), ("trialMs", trial_ms)] {
            if !(ms.is_finite() && ms > 0.0) {
                return Err(LabError::invalid(name, format!("a time per step is a positive number of milliseconds, not {ms}")));
            }
        }
        if trial.model != self.settings.model() {
            return Err(LabError::invalid("trial", "this trial is of another model's run: start a new one"));
        }
        let Trial { mut backend, mut trainer, .. } = trial;
        if trial_ms >= run_ms {
            let rival = backend.kind;
            self.backend.measured(run_ms, rival, trial_ms);
            return Ok(Settled { moved: false, step: self.trainer()?.step_count() });
        }
        trainer.restore(&self.checkpoint().await?.state())?;
        let train_len = self.data.train_len(self.settings.model()).unwrap_or(0);
        trainer.set_config(&self.settings.recipe, train_len)?;
        backend.measured(trial_ms, self.backend.kind, run_ms);
        backend.rival = Some(self.backend.kind);
        let step = trainer.step_count();
        self.backend = backend;
        self.trainer = Some(trainer);
        Ok(Settled { moved: true, step })
    }
}
