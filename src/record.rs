//! burn's record format (burnpack) for modules and optimisers: what checkpoints, the rollback
//! snapshots and the judge's weights are made of. burn's loaders trust their input, so every
//! record is checked to fit before burn takes it.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;

use crate::error::LabError;

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

/// An optimiser's state (Adam's moments, RMSProp's averages) as burnpack bytes.
pub fn optimizer_bytes(optim: &ModuleOptimizer) -> Result<Vec<u8>, LabError> {
    Ok(optim.into_bytes().map_err(|e| LabError::Checkpoint(format!("the optimiser state cannot be saved: {e}")))?.to_vec())
}

/// The parameters of a module by id, with their shapes.
struct ParamShapes(Vec<(u64, Vec<usize>)>);

impl ModuleVisitor for ParamShapes {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push((param.id.val(), param.lazy_shape().as_slice().to_vec()));
    }
}

/// `optim` with the state of `bytes`, an optimiser record of `module` (whose parameters must
/// already carry the ids the record was saved with, as loading a weights record restores them).
/// burn's loader trusts its input (a tensor without a parameter id panics, one of the wrong
/// shape fails at the next step), so every state tensor is checked first to belong to a
/// parameter of `module` and to have its shape (Adam's moments and RMSProp's averages do).
pub fn load_optimizer<M: Module>(optim: &ModuleOptimizer, module: &M, bytes: &[u8]) -> Result<ModuleOptimizer, String> {
    let tensors = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .and_then(|r| r.into_tensors())
        .map_err(|e| format!("its optimiser state cannot be read: {e}"))?;
    let mut params = ParamShapes(Vec::new());
    module.visit(&mut params);
    for t in &tensors {
        let id = t.param_id.ok_or_else(|| format!("the optimiser state '{}' names no parameter", t.name))?;
        match params.0.iter().find(|(p, _)| *p == id) {
            Some((_, shape)) if shape.as_slice() == t.shape.as_slice() => {}
            Some((_, shape)) => {
                return Err(format!("the optimiser state '{}' has shape {:?}, its parameter {shape:?}", t.name, t.shape.as_slice()));
            }
            None => return Err(format!("the optimiser state '{}' belongs to a parameter this model does not have", t.name)),
        }
    }
    optim.clone().from_bytes(Bytes::from_bytes_vec(bytes.to_vec())).map_err(|e| format!("its optimiser state cannot be read: {e}"))
}
