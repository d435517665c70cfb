//! The only place that creates devices. Everything else receives a [`Device`] and never
//! knows which backend is behind it.
//!
//! In the browser the backend is chosen at run time: WebGPU when `navigator.gpu` yields a
//! hardware adapter and burn brings a device up on it, the CPU otherwise. A software
//! adapter (Chromium's SwiftShader, `isFallbackAdapter`) does not count for the automatic
//! choice: measured here it trains the autoencoder some 40x slower than the CPU backend.

use std::str::FromStr;

use burn::prelude::*;

use crate::error::LabError;

/// What the user asked for (`?backend=` on the page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendRequest {
    /// WebGPU on a hardware adapter, else the default CPU backend.
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
    Backend { device, kind, label: label.into(), phrase: "CPU".into(), reason: reason.into(), max_buffer: None }
}

impl Backend {
    /// The same backend with the header's phrase `phrase`.
    pub fn saying(self, phrase: &str) -> Self {
        Backend { phrase: phrase.into(), ..self }
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
/// used and `reason` says why, so the page always has something to train on.
#[cfg(target_arch = "wasm32")]
pub async fn select(request: BackendRequest) -> Backend {
    let requested = |kind, reason| cpu(kind, reason).saying("CPU, as the link asks");
    let (phrase, reason) = match request {
        BackendRequest::Cpu => return requested(BackendKind::Flex, "requested with ?backend=cpu"),
        BackendRequest::Flex => return requested(BackendKind::Flex, "requested with ?backend=flex"),
        BackendRequest::Ndarray => return requested(BackendKind::Ndarray, "requested with ?backend=ndarray"),
        BackendRequest::Auto | BackendRequest::WebGpu => match webgpu::probe().await {
            Err(why) => ("CPU: no GPU found", why),
            Ok(adapter) if adapter.fallback && request == BackendRequest::Auto => (
                "CPU: only a software GPU",
                format!(
                    "only a software WebGPU adapter ({}) is available, far slower than the CPU; add ?backend=webgpu to use it anyway",
                    adapter.name
                ),
            ),
            Ok(adapter) => match webgpu::device().await {
                Ok((device, max_buffer)) => {
                    let reason =
                        if request == BackendRequest::WebGpu { "requested with ?backend=webgpu" } else { "hardware adapter found" };
                    let (soft, phrase) = if adapter.fallback { (" (software)", "WebGPU (software)") } else { ("", "WebGPU") };
                    return Backend {
                        device,
                        kind: BackendKind::WebGpu,
                        label: format!("WebGPU: {}{soft}", adapter.name),
                        phrase: phrase.into(),
                        reason: reason.into(),
                        max_buffer: Some(max_buffer),
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
