//! The session's results as JavaScript values: plain objects, and typed arrays for the large
//! ones (so that the worker can transfer their buffers to the page without copying).

use js_sys::{Float32Array, Object, Reflect, Uint8Array, Uint8ClampedArray};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::backend::Backend;
use crate::error::LabError;
use crate::session::{Encoded, Grid, Reconstructions, Trained};
use crate::train::EvalReport;

pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&obj, &JsValue::from_str(k), v);
    }
    obj.into()
}

/// Any serialisable value as a plain JS object (maps as objects, not `Map`s).
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(JsValue::from)
}

/// The JS side of a [`LabError`]: an `Error` whose `name` is the kind and, for a bad control
/// value, whose `field` names the control.
pub fn js_error(e: LabError) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name(e.kind());
    if let Some(field) = e.field() {
        let _ = Reflect::set(&err, &"field".into(), &field.into());
    }
    err.into()
}

/// Another call is still running: the worker must await each call before the next.
pub fn busy() -> JsValue {
    js_error(LabError::Backend("the session is busy with another call; await each call before the next".into()))
}

/// `{kind, label, phrase, reason, maxBuffer, rival}` of a backend, for the page (`maxBuffer` in
/// bytes, null on the CPU; `rival` the kind the automatic choice times against it, or null).
pub fn backend(b: &Backend) -> JsValue {
    let max_buffer = b.max_buffer.map_or(JsValue::NULL, |bytes| (bytes as f64).into());
    object(&[
        ("kind", b.kind.name().into()),
        ("label", b.label.as_str().into()),
        ("phrase", b.phrase.as_str().into()),
        ("reason", b.reason.as_str().into()),
        ("maxBuffer", max_buffer),
        ("rival", b.rival.map_or(JsValue::NULL, |kind| kind.name().into())),
    ])
}

/// A step report: `{firstStep, step, epoch, epochProgress, stepMs, readBackMs, diverged}`
/// and one `Float32Array` per figure the model reports, named as [`crate::train::Figure::series`]
/// says (`losses`, `mses`, `kls`, `accuracies`, `criticLosses`, `generatorLosses`).
pub fn trained(t: &Trained) -> Result<JsValue, JsValue> {
    let r = &t.report;
    let report = object(&[
        ("firstStep", (r.first_step as f64).into()),
        ("step", (r.step as f64).into()),
        ("epoch", (r.epoch as f64).into()),
        ("epochProgress", r.epoch_progress.into()),
        ("stepMs", t.step_ms.into()),
        ("readBackMs", t.read_back_ms.into()),
        ("diverged", to_js(&t.diverged)?),
    ]);
    for (figure, values) in &r.series {
        let _ = Reflect::set(&report, &figure.series().into(), &Float32Array::from(&values[..]).into());
    }
    Ok(report)
}

pub fn eval(r: &EvalReport) -> JsValue {
    let optional = |v: Option<f32>| v.map_or(JsValue::NULL, JsValue::from);
    object(&[
        ("loss", r.loss.into()),
        ("mse", r.mse.into()),
        ("kl", optional(r.kl)),
        ("accuracy", optional(r.accuracy)),
        ("count", r.count.into()),
    ])
}

/// `{width, height, rgba}`.
pub fn grid(g: Grid) -> JsValue {
    object(&[("width", g.width.into()), ("height", g.height.into()), ("rgba", Uint8ClampedArray::from(&g.rgba[..]).into())])
}

/// `{count, width, height, originals, recons}`.
pub fn reconstructions(r: Reconstructions) -> JsValue {
    object(&[
        ("count", r.count.into()),
        ("width", r.side.into()),
        ("height", r.side.into()),
        ("originals", Uint8ClampedArray::from(&r.originals[..]).into()),
        ("recons", Uint8ClampedArray::from(&r.recons[..]).into()),
    ])
}

/// `{points: Float32Array [x0, y0, ...], labels: Uint8Array}`.
pub fn latents(points: &[f32], labels: &[u8]) -> JsValue {
    object(&[("points", Float32Array::from(points).into()), ("labels", Uint8Array::from(labels).into())])
}

/// An encoded drawing as a plain object, with its two images as `Uint8ClampedArray`s:
/// `recon`, and `nearest.rgba`.
pub fn encoded(e: &Encoded) -> Result<JsValue, JsValue> {
    let value = to_js(e)?;
    let nearest = Reflect::get(&value, &"nearest".into())?;
    Reflect::set(&nearest, &"rgba".into(), &rgba(&e.nearest.rgba))?;
    Reflect::set(&value, &"recon".into(), &rgba(&e.recon))?;
    Ok(value)
}

pub fn rgba(bytes: &[u8]) -> JsValue {
    Uint8ClampedArray::from(bytes).into()
}

/// `performance.now()` of the window or worker the session runs in (milliseconds).
pub fn now_ms() -> f64 {
    let performance = Reflect::get(&js_sys::global(), &"performance".into()).unwrap_or(JsValue::UNDEFINED);
    Reflect::get(&performance, &"now".into())
        .ok()
        .and_then(|now| now.dyn_into::<js_sys::Function>().ok())
        .and_then(|now| now.call0(&performance).ok())
        .and_then(|t| t.as_f64())
        .unwrap_or_else(js_sys::Date::now)
}
