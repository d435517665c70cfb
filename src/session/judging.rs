//! Judges of the MNIST DCGAN's meters: loaded (a built-in dataset's, or one the page kept for
//! your data) or trained here for your own labelled data, a few steps at a time, so that the
//! page's worker trains one beside the run and says how far it got.

use serde::Serialize;

use super::{JudgeData, JudgeOf, MAX_STEPS_PER_CALL, Session, judge_device};
use crate::error::LabError;
use crate::train::judge::{JudgeConfig, JudgeTrainer, accuracy};
use crate::train::read_f32;

/// A judge being trained for the loaded 28x28 data ([`Session::start_judge`]).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JudgePlan {
    /// The data it learns, as the page names it.
    pub dataset: String,
    pub hash: String,
    pub train: usize,
    pub epochs: u64,
    pub steps: u64,
}

/// How far the judge in training got; `accuracy` on the test images once it is done.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JudgeProgress {
    pub step: u64,
    pub steps: u64,
    pub loss: f32,
    pub accuracy: Option<f32>,
}

pub(super) struct JudgeTraining {
    trainer: JudgeTrainer,
    plan: JudgePlan,
}

impl Session {
    /// Loads a frozen judge, which the MNIST DCGAN's meters use while it trains on the data
    /// the judge is `of`: a built-in dataset's (set-up trains them) or your own data's (from
    /// [`Self::judge_bytes`]). A damaged or foreign file is refused and the session keeps
    /// what it had.
    pub fn load_judge(&mut self, of: JudgeOf, bytes: Vec<u8>) -> Result<usize, LabError> {
        self.data.put_judge(JudgeData::parse(of, bytes)?);
        Ok(JudgeData::features())
    }

    /// Starts training a judge for the loaded 28x28 data, which must have labels: its
    /// training images for [`JudgeConfig::for_size`]'s epochs, on the CPU, a few steps at a
    /// time by [`Self::train_judge`]. Replaces a judge in training.
    pub fn start_judge(&mut self) -> Result<JudgePlan, LabError> {
        let data = self.data.side28()?;
        if data.classes.is_empty() {
            return Err(LabError::NeedsLabels { model: "judge".into(), dataset: data.id.describe() });
        }
        let train = data.splits.train.len();
        let config = JudgeConfig::for_size(train);
        let plan =
            JudgePlan { dataset: data.id.label(), hash: data.id.hash.clone(), train, epochs: config.epochs, steps: config.steps(train) };
        let trainer = JudgeTrainer::new(train, &judge_device().autodiff(), config);
        self.judging = Some(JudgeTraining { trainer, plan: plan.clone() });
        Ok(plan)
    }

    /// Trains the judge [`Self::start_judge`] began for up to `steps` more steps, and reads
    /// the last loss back. When it is done, its test accuracy is measured and it becomes the
    /// judge of its data. Other data loaded meanwhile ends it, with an error that says so.
    pub async fn train_judge(&mut self, steps: u32) -> Result<JudgeProgress, LabError> {
        if steps > MAX_STEPS_PER_CALL {
            return Err(LabError::invalid("steps", format!("one call trains at most {MAX_STEPS_PER_CALL} steps, not {steps}")));
        }
        let mut training = self.judging.take().ok_or_else(|| LabError::JudgeTraining("none was started".into()))?;
        let data = match self.data.side28() {
            Ok(data) if data.id.hash == training.plan.hash => data,
            _ => return Err(LabError::JudgeTraining(format!("other data took the place of {}", training.plan.dataset))),
        };
        let mut last = None;
        for _ in 0..steps {
            if training.trainer.done() {
                break;
            }
            last = Some(training.trainer.step(&data.splits.train));
        }
        let loss = match last {
            Some(loss) => read_f32(loss).await?.first().copied().unwrap_or(f32::NAN),
            None => f32::NAN,
        };
        let (step, steps) = (training.trainer.step_count(), training.plan.steps);
        if !training.trainer.done() {
            self.judging = Some(training);
            return Ok(JudgeProgress { step, steps, loss, accuracy: None });
        }
        let JudgeTraining { trainer, plan } = training;
        let judge = trainer.finish();
        let accuracy = accuracy(&judge, &data.splits.test, &judge_device()).await?;
        let of = data.id.builtin().map_or(JudgeOf::Own(plan.hash), JudgeOf::Builtin);
        self.data.put_judge(JudgeData { of, judge, real: None });
        Ok(JudgeProgress { step, steps, loss, accuracy: Some(accuracy) })
    }

    /// The weights of the judge of your own data `hash`, to keep and give back to
    /// [`Self::load_judge`].
    pub fn judge_bytes(&self, hash: &str) -> Result<Vec<u8>, LabError> {
        let of = JudgeOf::Own(hash.into());
        let judge = self.data.judges.iter().find(|j| j.of == of).ok_or_else(|| LabError::NoJudge(format!("the data {hash}")))?;
        judge.judge.to_bytes()
    }
}
