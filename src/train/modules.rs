//! Whole-module work on burn modules: every float tensor flattened, one module's tensors
//! blended with another copy's (the generator's moving average), and an asynchronous copy
//! onto another device (what a snapshot of a run on WebGPU takes).

use burn::module::{ModuleVisitor, Param};
use burn::prelude::*;

use crate::error::LabError;

/// Every float tensor of a module (parameters and BN running statistics), flattened, in the
/// order burn's visitors and mappers walk them.
struct Flatten(Vec<Tensor<1>>);

impl ModuleVisitor for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.val().flatten::<1>(0, D - 1));
    }
}

/// The float tensors of `module`, flattened, in the order burn walks them.
pub(crate) fn flattened<M: Module>(module: &M) -> Vec<Tensor<1>> {
    let mut flat = Flatten(Vec::new());
    module.visit(&mut flat);
    flat.0
}

/// Replaces each float tensor of a module by `f(tensor, other)` (both flattened), with
/// `other` the next of `others`, which come in [`flattened`]'s order.
struct ZipFlat<I, F> {
    others: I,
    f: F,
}

impl<I, F> burn::module::ModuleMapper for ZipFlat<I, F>
where
    I: Iterator<Item = Tensor<1>>,
    F: FnMut(Tensor<1>, Tensor<1>) -> Tensor<1>,
{
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        // Same module, same walk: there is one value per tensor (were there none, the tensor
        // would stay as it was rather than be made up).
        let value = match self.others.next() {
            Some(other) => {
                let dims = tensor.dims();
                (self.f)(tensor.flatten::<1>(0, D - 1), other).reshape(dims)
            }
            None => tensor,
        };
        Param::from_mapped_value(id, value, mapper)
    }
}

/// `module` with each float tensor replaced by `f(tensor, other)`, `others` being another
/// copy's tensors in [`flattened`]'s order (parameter ids unchanged).
pub(crate) fn zip_floats<M: Module>(
    module: M,
    others: impl Iterator<Item = Tensor<1>>,
    f: impl FnMut(Tensor<1>, Tensor<1>) -> Tensor<1>,
) -> M {
    module.map(&mut ZipFlat { others, f })
}

/// A copy of `module` (its weights and running statistics, under the same parameter ids) on
/// `device`, read asynchronously. burn's `to_device` and its records read tensors
/// synchronously, which WebGPU in a browser cannot; a CPU copy can then be recorded.
pub async fn copy_to<M: Module>(module: &M, device: &Device) -> Result<M, LabError> {
    let module = module.valid();
    let flat = flattened(&module);
    let mut data = Vec::with_capacity(flat.len());
    for tensor in flat {
        data.push(tensor.into_data_async().await.map_err(LabError::readback)?);
    }
    let copies = data.into_iter().map(|d| Tensor::<1>::from_data(d, device));
    Ok(zip_floats(module, copies, |_, copy| copy))
}
