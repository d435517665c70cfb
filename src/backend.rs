//! The only place that creates devices. Everything else receives a [`Device`] and never
//! knows which backend is behind it.
//!
//! In the browser the backend is chosen at run time. With a hardware WebGPU adapter, the run
//! starts on the CPU and a copy of it is timed on WebGPU; the faster trains it, for each model
//! ([`crate::session::Trial`]). A software adapter (Chromium's SwiftShader,
//! `isFallbackAdapter`) is not timed: it trains these models far slower than the CPU backend
//! (docs/benchmarks.md).

use std::str::FromStr;

use burn::prelude::*;

use crate::error::LabError;

/// What the user asked for (`?backend=` on the page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendRequest {
    /// In the browser, the default CPU backend, with WebGPU as its rival when a hardware
    /// adapter is there: the page times both on the model and keeps the faster
    /// ([`crate::session::Trial`]).
    Auto,
    /// WebGPU on whatever adapter the browser gives, software ones included.
    WebGpu,
    /// The default CPU backend, burn-flex ([`cpu_default`]).
    Cpu,
    Flex,
    Ndarray,
}

impl FromStr for BackendRequest {
    type Err = LabError;

    fn from_str(s: &str) -> Result<Self, LabError> {
        match s {
            "auto" => Ok(Self::Auto),
            "webgpu" => Ok(Self::WebGpu),
            "cpu" => Ok(Self::Cpu),
            "flex" => Ok(Self::Flex),
            "ndarray" => Ok(Self::Ndarray),
            other => Err(LabError::invalid("backend", format!("unknown backend '{other}': use auto, webgpu, cpu, flex or ndarray"))),
        }
    }
}

/// The backend a session actually runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    WebGpu,
    Flex,
    Ndarray,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::WebGpu => "webgpu",
            Self::Flex => "flex",
            Self::Ndarray => "ndarray",
        }
    }

    /// The word a user knows it by: "WebGPU" or "CPU".
    pub fn word(self) -> &'static str {
        match self {
            Self::WebGpu => "WebGPU",
            Self::Flex | Self::Ndarray => "CPU",
        }
    }

    /// What asks for this kind again, as a trial of it does.
    pub fn request(self) -> BackendRequest {
        match self {
            Self::WebGpu => BackendRequest::WebGpu,
            Self::Flex => BackendRequest::Flex,
            Self::Ndarray => BackendRequest::Ndarray,
        }
    }
}

/// The CPU backend used when WebGPU is not: burn-flex for every model. In Chromium it trains
/// the autoencoders as fast as burn-ndarray or faster (`node scripts/bench.mjs --model M flex
/// ndarray`; figures in docs/benchmarks.md), and burn-ndarray's convolutions are naive loops, measured
/// natively ~160x slower on the live WGAN's generator (8.7 s against 54 ms for a forward pass
/// of 16 images).
fn cpu_default(reason: impl Into<String>) -> Backend {
    cpu(BackendKind::Flex, reason)
}

/// A device and what to tell the user about it.
#[derive(Debug, Clone)]
pub struct Backend {
    /// Inference device; training uses `device.clone().autodiff()`.
    pub device: Device,
    pub kind: BackendKind,
    /// For the status line, e.g. "WebGPU: nvidia ampere" or "CPU (burn-flex)".
    pub label: String,
    /// The header's few words for where the run trains and why ("CPU: no GPU found");
    /// `label` and `reason` are the details.
    pub phrase: String,
    /// Why this backend was chosen.
    pub reason: String,
    /// On a GPU, the largest buffer its device holds, in bytes: the least of its storage
    /// binding and buffer size limits, which burn's wgpu runtime requests at the adapter's
    /// full values. A batch's widest tensor must fit in it. `None` on the CPU.
    pub max_buffer: Option<u64>,
    /// The backend the automatic choice times against this one on each model (see
    /// [`BackendRequest::Auto`]); `None` when nothing is to be measured.
    pub rival: Option<BackendKind>,
}

/// A CPU device of the given kind (WebGpu, not a CPU kind, gets burn-flex).
// burn marks ndarray deprecated in favour of flex; we keep it selectable to compare the two.
#[allow(deprecated)]
pub fn cpu(kind: BackendKind, reason: impl Into<String>) -> Backend {
    let (device, kind, label) = match kind {
        #[cfg(feature = "ndarray")]
        BackendKind::Ndarray => (Device::ndarray(), kind, "CPU (burn-ndarray)"),
        #[cfg(not(feature = "ndarray"))]
        BackendKind::Ndarray => {
            let why = format!("{}, but this build has no burn-ndarray (the page's CPU build has)", reason.into());
            return cpu(BackendKind::Flex, why);
        }
        // The browser build enables wasm SIMD128 (.cargo/config.toml), which flex's kernels use.
        BackendKind::Flex | BackendKind::WebGpu if cfg!(target_arch = "wasm32") => {
            (Device::flex(), BackendKind::Flex, "CPU (burn-flex, SIMD128)")
        }
        BackendKind::Flex | BackendKind::WebGpu => (Device::flex(), BackendKind::Flex, "CPU (burn-flex)"),
    };
    Backend { device, kind, label: label.into(), phrase: "CPU".into(), reason: reason.into(), max_buffer: None, rival: None }
}

impl Backend {
    /// The same backend with the header's phrase `phrase`.
    pub fn saying(self, phrase: &str) -> Self {
        Backend { phrase: phrase.into(), ..self }
    }

    /// Says what the automatic choice measured, on the backend it kept: `self` took
    /// `ms` per step and `other` `other_ms` on the same model.
    pub fn measured(&mut self, ms: f64, other: BackendKind, other_ms: f64) {
        let ms_text = |ms: f64| if ms < 10.0 { format!("{ms:.1}") } else { format!("{ms:.0}") };
        let (mine, theirs) = (self.kind.word(), other.word());
        self.phrase = format!("{mine}: measured faster");
        self.reason = format!("{mine}: {} ms/step, {theirs}: {} ms/step on this model, using {mine}", ms_text(ms), ms_text(other_ms));
    }
}

/// Whether tensors on `device` live in this process's memory (the CPU backends), so that data
/// made on the host reaches them by a copy rather than an upload. Autodiff does not matter.
#[allow(deprecated)]
pub fn is_host(device: &Device) -> bool {
    #[cfg(feature = "ndarray")]
    if *device == Device::ndarray() {
        return true;
    }
    *device == Device::flex()
}

/// Natively: the CPU backends, and with the `gpu` feature burn's wgpu backend on the
/// machine's GPU (Vulkan, Metal or DX12), which only an explicit request gets.
#[cfg(not(target_arch = "wasm32"))]
pub fn select(request: BackendRequest) -> Result<Backend, LabError> {
    match request {
        BackendRequest::Auto | BackendRequest::Cpu => Ok(cpu_default("the native build trains on the CPU")),
        BackendRequest::Flex => Ok(cpu(BackendKind::Flex, "requested")),
        BackendRequest::Ndarray => Ok(cpu(BackendKind::Ndarray, "requested")),
        BackendRequest::WebGpu => native_gpu(),
    }
}

#[cfg(all(not(target_arch = "wasm32"), feature = "gpu"))]
fn native_gpu() -> Result<Backend, LabError> {
    // A machine without a usable adapter fails here, with wgpu's reason, not at the first step.
    let (device, setup) = pollster::block_on(Device::wgpu_options().init_with_setup_async())
        .map_err(|e| LabError::Backend(format!("no GPU device came up: {e:?}")))?;
    Ok(Backend {
        device,
        kind: BackendKind::WebGpu,
        label: "GPU (burn-wgpu)".into(),
        phrase: "GPU".into(),
        reason: "requested".into(),
        max_buffer: Some(max_buffer(&setup)),
        rival: None,
    })
}

/// The largest buffer a wgpu device holds (see [`Backend::max_buffer`]).
#[cfg(feature = "gpu")]
fn max_buffer(setup: &burn::tensor::wgpu::WgpuSetup) -> u64 {
    let limits = setup.device.limits();
    limits.max_storage_buffer_binding_size.min(limits.max_buffer_size)
}

#[cfg(all(not(target_arch = "wasm32"), not(feature = "gpu")))]
fn native_gpu() -> Result<Backend, LabError> {
    Err(LabError::Backend("this build has no GPU backend: build with `cargo build --release --features gpu`".into()))
}

/// Picks and starts a backend. Never fails: when WebGPU cannot be had, the CPU backend is
/// used and `reason` says why, so the page always has something to train on. `Auto` with a
/// hardware adapter (or any adapter, when `time_software`: a test's way to the timing on a
/// machine without a GPU) starts on the CPU with WebGPU as its rival.
#[cfg(target_arch = "wasm32")]
pub async fn select(request: BackendRequest, time_software: bool) -> Backend {
    let requested = |kind, reason| cpu(kind, reason).saying("CPU, as the link asks");
    let (phrase, reason) = match request {
        BackendRequest::Cpu => return requested(BackendKind::Flex, "requested with ?backend=cpu"),
        BackendRequest::Flex => return requested(BackendKind::Flex, "requested with ?backend=flex"),
        BackendRequest::Ndarray => return requested(BackendKind::Ndarray, "requested with ?backend=ndarray"),
        BackendRequest::Auto => match webgpu::probe().await {
            Err(why) => ("CPU: no GPU found", why),
            Ok(adapter) if adapter.fallback && !time_software => (
                "CPU: only a software GPU",
                format!(
                    "only a software WebGPU adapter ({}) is available, far slower than the CPU; add ?backend=webgpu to use it anyway",
                    adapter.name
                ),
            ),
            // The page's CPU build has no WebGPU to time (the worker loads it when the WebGPU
            // build is not there yet, and says so).
            Ok(adapter) if !cfg!(feature = "gpu") => {
                ("CPU: the GPU did not start", format!("a WebGPU adapter ({}) is here, but this is the page's CPU build", adapter.name))
            }
            Ok(adapter) => {
                let reason = format!(
                    "a WebGPU adapter ({}) is here: the run starts on the CPU while a copy of it is timed on WebGPU, and the faster trains it",
                    adapter.name
                );
                return Backend { rival: Some(BackendKind::WebGpu), ..cpu_default(reason).saying("CPU, timing WebGPU") };
            }
        },
        BackendRequest::WebGpu => match webgpu::probe().await {
            Err(why) => ("CPU: no GPU found", why),
            Ok(adapter) => match webgpu::device().await {
                Ok((device, max_buffer)) => {
                    let (soft, phrase) = if adapter.fallback { (" (software)", "WebGPU (software)") } else { ("", "WebGPU") };
                    return Backend {
                        device,
                        kind: BackendKind::WebGpu,
                        label: format!("WebGPU: {}{soft}", adapter.name),
                        phrase: phrase.into(),
                        reason: "requested with ?backend=webgpu".into(),
                        max_buffer: Some(max_buffer),
                        rival: None,
                    };
                }
                Err(why) => ("CPU: the GPU did not start", format!("WebGPU adapter {} found but no device came up: {why}", adapter.name)),
            },
        },
    };
    cpu_default(reason).saying(phrase)
}

#[cfg(target_arch = "wasm32")]
mod webgpu {
    use burn::prelude::*;
    use js_sys::{Function, Object, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    pub struct Adapter {
        pub name: String,
        pub fallback: bool,
    }

    #[cfg(feature = "gpu")]
    thread_local! {
        /// burn's wgpu runtime can be initialised once per page; later sessions reuse it, and
        /// its largest buffer.
        static DEVICE: std::cell::RefCell<Option<(Device, u64)>> = const { std::cell::RefCell::new(None) };
    }

    fn get(target: &JsValue, key: &str) -> JsValue {
        Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    /// Asks the browser for an adapter and describes it, without creating a device.
    pub async fn probe() -> Result<Adapter, String> {
        let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
        if gpu.is_undefined() || gpu.is_null() {
            return Err("this browser offers no WebGPU (navigator.gpu is missing)".into());
        }
        let request: Function = get(&gpu, "requestAdapter").dyn_into().map_err(|_| "navigator.gpu.requestAdapter is missing")?;
        let options = Object::new();
        let _ = Reflect::set(&options, &"powerPreference".into(), &"high-performance".into());
        let promise: Promise =
            request.call1(&gpu, &options).and_then(|p| p.dyn_into()).map_err(|e| format!("requestAdapter failed: {e:?}"))?;
        let adapter = JsFuture::from(promise).await.map_err(|e| format!("requestAdapter failed: {e:?}"))?;
        if adapter.is_null() || adapter.is_undefined() {
            return Err("the browser has WebGPU but offered no adapter".into());
        }
        let info = get(&adapter, "info");
        let text = |k: &str| get(&info, k).as_string().unwrap_or_default();
        let name =
            [text("vendor"), text("architecture"), text("description")].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
        // `isFallbackAdapter` moved from the adapter to its info; accept either.
        let fallback = get(&info, "isFallbackAdapter").as_bool().or_else(|| get(&adapter, "isFallbackAdapter").as_bool());
        Ok(Adapter { name: if name.is_empty() { "unnamed adapter".into() } else { name }, fallback: fallback.unwrap_or(false) })
    }

    /// burn's WebGPU device, started on first use, and its largest buffer.
    #[cfg(feature = "gpu")]
    pub async fn device() -> Result<(Device, u64), String> {
        if let Some(started) = DEVICE.with(|d| d.borrow().clone()) {
            return Ok(started);
        }
        let (device, setup) = Device::wgpu_options().init_with_setup_async().await.map_err(|e| format!("{e:?}"))?;
        let started = (device, super::max_buffer(&setup));
        DEVICE.with(|d| *d.borrow_mut() = Some(started.clone()));
        Ok(started)
    }

    /// The CPU build (pkg/, built without the `gpu` feature) has no WebGPU backend; the page
    /// loads the WebGPU build (pkg-gpu/) when WebGPU is wanted.
    #[cfg(not(feature = "gpu"))]
    pub async fn device() -> Result<(Device, u64), String> {
        Err("this is the page's CPU build, which has no WebGPU backend (the page loads its WebGPU build for ?backend=webgpu or a hardware adapter)".into())
    }
}
