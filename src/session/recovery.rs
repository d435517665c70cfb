//! Recovery of a run: the last good states kept in memory, what a divergence rolls back to
//! and what a failed GPU falls back from. A snapshot is trusted only once the steps after it
//! have read back finite losses: an update can leave NaN weights behind a finite loss, and
//! only the next step's loss shows it.

use crate::checkpoint::Checkpoint;
use crate::train::StepReport;
use crate::train::guard::{Divergence, DivergenceGuard};

/// How often (at most) a snapshot of the run is taken to roll back to after a divergence.
pub const SNAPSHOT_EVERY_MS: f64 = 5000.0;

#[derive(Default)]
pub struct Recovery {
    guard: DivergenceGuard,
    /// The newest trusted snapshot; none: the run's start (its seed rebuilds it).
    pub good: Option<Checkpoint>,
    /// The newest snapshot, trusted after the next good read-back.
    candidate: Option<Checkpoint>,
    /// When the candidate was taken (the session's clock, ms).
    taken_at: f64,
}

impl Recovery {
    /// The first divergence among the losses of `report`, if any.
    pub fn check(&mut self, report: &StepReport) -> Option<Divergence> {
        let losses: Vec<&[f32]> = report.series.iter().filter(|(f, _)| f.is_loss()).map(|(_, v)| v.as_slice()).collect();
        self.guard.check(report.first_step, &losses)
    }

    /// After a read-back of finite losses: the previous snapshot is now known good. Whether
    /// a new one is due at `now`.
    pub fn trust_candidate(&mut self, now: f64) -> bool {
        if let Some(candidate) = self.candidate.take() {
            self.good = Some(candidate);
        }
        self.good.is_none() || now - self.taken_at >= SNAPSHOT_EVERY_MS
    }

    pub fn set_candidate(&mut self, snapshot: Checkpoint, now: f64) {
        self.candidate = Some(snapshot);
        self.taken_at = now;
    }

    /// The step a rollback returns to: the good snapshot's, or the run's start.
    pub fn rollback_step(&self) -> u64 {
        self.good.as_ref().map_or(0, |c| c.header.step)
    }

    /// A kept snapshot of `step` with these settings, if there is one: the weights change
    /// only by training (a new step), by a rollback (to that snapshot) or with a new trainer
    /// (which clears them), so such a snapshot holds what a new read-back would.
    pub fn kept(&self, step: u64, settings: &crate::settings::SettingsInput) -> Option<&Checkpoint> {
        [&self.candidate, &self.good].into_iter().flatten().find(|c| c.header.step == step && &c.header.settings == settings)
    }

    /// The run went back to the good state (or moved to another device): the candidate was of
    /// what came after; the good state stays the one to return to, and the guard keeps the
    /// run's scale.
    pub fn forget_candidate(&mut self) {
        self.candidate = None;
    }
}
