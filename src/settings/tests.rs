use super::*;
use crate::catalog::{Bound, PAPER_BETA};
use crate::model::GanKind;
use crate::train::GanRule;

fn input(f: impl FnOnce(&mut SettingsInput)) -> SettingsInput {
    let mut i = SettingsInput::default();
    f(&mut i);
    i
}

fn model(name: &str) -> SettingsInput {
    input(|i| i.model = Some(name.into()))
}

const MNIST: fn(ModelKind) -> Option<usize> = |_| Some(60_000);

#[test]
fn a_new_model_starts_from_its_preset_and_restarts() {
    let s = Settings::default();
    let (vae, restart) = s.apply(&model("vae"), MNIST).unwrap();
    assert!(restart);
    let Recipe::Latent(_, c) = &vae.recipe else { panic!("not an autoencoder") };
    assert_eq!((c.batch_size, c.beta), (128, PAPER_BETA));
    let out = vae.output();
    assert_eq!(out.preset_text, "paper (Adam 1e-3, batch 128, beta 0.01)");
    assert_eq!(out.values, out.preset_values);

    let (wgan, restart) = vae.apply(&model("wgan-poly"), MNIST).unwrap();
    assert!(restart);
    assert_eq!(wgan.preset, Preset::Live);
    assert_eq!(wgan.output().info.family, "gan");
    let (paper, restart) = wgan.apply(&input(|i| i.preset = Some("paper".into())), MNIST).unwrap();
    assert!(restart);
    assert_eq!(paper.recipe, ModelKind::Gan(GanKind::WganPoly).recipe(Preset::Paper, 1));
    assert_eq!(
        paper.output().preset_text,
        "paper (G width 128, D width 128, batch 128, RMSProp G 5e-5 / D 5e-5, 5 critic steps, clip 0.01)"
    );
    // The live MNIST DCGAN says where it leaves the reference's discriminator and Adam.
    let (dcgan, _) = wgan.apply(&model("dcgan-mnist"), MNIST).unwrap();
    assert_eq!(
        dcgan.output().preset_text,
        "live (G width 32, D width 16 with batch norm, batch 32, Adam G 5e-4 / D 5e-4, beta1 0.5, samples from a 0.99 weight average)"
    );
}

#[test]
fn settings_change_without_a_restart() {
    let (wgan, _) = Settings::default().apply(&model("wgan-poly"), MNIST).unwrap();
    let change = SettingsInput::default().with("nCritic", 3.0).with("clip", 0.02).with("lrGenerator", 1e-4);
    let (tuned, restart) = wgan.apply(&change, MNIST).unwrap();
    assert!(!restart);
    let Recipe::Gan(_, _, c) = &tuned.recipe else { panic!("not a GAN") };
    assert_eq!(c.rule, GanRule::Wasserstein { n_critic: 3, clip: 0.02 });
    let out = tuned.output();
    assert_ne!(out.values, out.preset_values);
}

#[test]
fn bad_values_and_foreign_fields_name_their_field() {
    let s = Settings::default();
    let (dcgan, _) = s.apply(&model("dcgan-poly"), MNIST).unwrap();
    let with = |field: &str, v: f64| SettingsInput::default().with(field, v);
    for (base, bad, field) in [
        (&s, with("nCritic", 5.0), "nCritic"),
        (&s, model("gan"), "model"),
        (&s, input(|i| i.seed = Some(1.5)), "seed"),
        (&s, input(|i| i.preset = Some("live".into())), "preset"),
        (&s, with("learningRate", f64::NAN), "learningRate"),
        (&s, with("colour", 1.0), "config"),
        (&dcgan, with("clip", 0.01), "clip"),
        (&dcgan, with("beta", 0.01), "beta"),
        (&dcgan, with("lrCritic", -1.0), "lrCritic"),
        (&dcgan, with("batchSize", 70_000.0), "batchSize"),
        (&dcgan, with("batchSize", 2.5), "batchSize"),
        (&dcgan, input(|i| i.preset = Some("huge".into())), "preset"),
    ] {
        let err = base.apply(&bad, MNIST).unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
    }
}

/// A whole number is checked as the number it is, before it is narrowed to a count (32
/// bits on wasm32): 2^32 + 16 must not become 16, nor 1e12 become 3567587328.
#[test]
fn whole_numbers_are_checked_before_they_are_narrowed() {
    let s = Settings::default();
    let (wgan, _) = s.apply(&model("wgan-poly"), MNIST).unwrap();
    let with = |field: &str, v: f64| SettingsInput::default().with(field, v);
    for (base, field, value, said) in [
        (&s, "batchSize", 4294967312.0, "not 4294967312"),
        (&s, "batchSize", 1e12, "not 1000000000000"),
        (&wgan, "nCritic", 4294967301.0, "not 4294967301"),
        (&wgan, "nCritic", 1e300, "not 1e300"),
    ] {
        let err = base.apply(&with(field, value), MNIST).unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
        assert!(err.to_string().contains(said), "{err}");
    }
}

/// Every model takes a batch up to what a browser tab's memory holds for one step, and on
/// a GPU up to what its largest buffer holds of the widest layer; the refusal names the
/// largest it takes and why.
#[test]
fn batches_are_limited_by_memory_and_by_the_gpus_buffers() {
    let s = Settings::default();
    let batch = |n: usize| SettingsInput::default().with("batchSize", n as f64);
    // The autoencoder takes the whole of MNIST at once on the CPU.
    assert!(s.apply(&batch(60_000), MNIST).is_ok());
    let (dcgan, _) = s.apply(&model("dcgan-mnist"), MNIST).unwrap();
    let (most, bound) = dcgan.recipe.max_batch(None);
    assert_eq!(bound, Bound::Memory);
    assert!((2_000..20_000).contains(&most), "{most}");
    assert!(dcgan.apply(&batch(most), MNIST).is_ok());
    let err = dcgan.apply(&batch(20_000), MNIST).unwrap_err();
    assert_eq!(err.field(), Some("batchSize"));
    assert!(err.to_string().contains(&format!("at most {most} for this model, not 20000")), "{err}");
    assert!(err.to_string().contains("a step takes about 0.23 MB a sample, and a browser tab holds about 2 GB"), "{err}");

    // WebGPU's guaranteed buffer size, 128 MiB, holds 42,799 of the autoencoder's images
    // (784 floats, its widest tensor), fewer than its memory bound.
    let gpu = |_| Room { train_len: Some(60_000), max_buffer: Some(128 << 20) };
    assert_eq!(s.recipe.max_batch(Some(128 << 20)), (42_799, Bound::Buffer(128 << 20)));
    assert!(s.apply(&batch(42_799), gpu).is_ok());
    let err = s.apply(&batch(60_000), gpu).unwrap_err();
    assert_eq!(err.field(), Some("batchSize"));
    assert!(err.to_string().contains("at most 42799 for this model, not 60000"), "{err}");
    assert!(
        err.to_string().contains("its widest layer takes about 0.0031 MB a sample, and this GPU holds at most 134 MB in one buffer"),
        "{err}"
    );
    // A GPU with larger buffers leaves the memory bound.
    assert_eq!(dcgan.recipe.max_batch(Some(1 << 30)), (most, Bound::Memory));

    // Every preset fits both, on the smallest buffers WebGPU allows.
    for kind in ModelKind::all() {
        for &preset in kind.presets() {
            let recipe = kind.recipe(preset, 1);
            let (most, _) = recipe.max_batch(Some(128 << 20));
            assert!(most >= 2 * recipe.batch_size(), "{} {}", kind.name(), preset.name());
        }
    }
}

/// A seed must come back to the page as the same number: 2^53 and above do not.
#[test]
fn seeds_stay_within_what_javascript_numbers_hold() {
    let s = Settings::default();
    let at = |seed: f64| s.apply(&input(|i| i.seed = Some(seed)), MNIST);
    assert_eq!(at(2f64.powi(53)).unwrap_err().field(), Some("seed"));
    let (largest, _) = at((MAX_WHOLE) as f64).unwrap();
    assert_eq!(largest.seed(), MAX_WHOLE);
    assert_eq!(largest.next_seed(), 0);
    let json = serde_json::to_value(largest.output()).unwrap();
    assert_eq!(json["seed"].as_f64(), Some(MAX_WHOLE as f64));
}

#[test]
fn input_rebuilds_the_settings() {
    for changes in [
        model("vae-classifier").with("beta", 0.5),
        input(|i| {
            i.model = Some("wgan-poly".into());
            i.preset = Some("paper".into());
        })
        .with("clip", 0.03)
        .with("batchSize", 32.0),
        model("dcgan-mnist"),
    ] {
        let (settings, _) = Settings::default().apply(&changes, MNIST).unwrap();
        let (rebuilt, _) = Settings::default().apply(&settings.input(), MNIST).unwrap();
        assert_eq!(rebuilt, settings);
        // The header form goes through JSON and back.
        let json = serde_json::to_string(&settings.input()).unwrap();
        let parsed: SettingsInput = serde_json::from_str(&json).unwrap();
        assert_eq!(Settings::default().apply(&parsed, MNIST).unwrap().0, settings);
    }
}

/// A link holds what reproduces the settings and nothing a model would refuse: no preset
/// for the autoencoders, which have one.
#[test]
fn links_reproduce_the_settings() {
    for changes in [model("ae"), model("vae").with("beta", 0.5), model("wgan-poly").with("nCritic", 4.0)] {
        let (settings, _) = Settings::default().apply(&changes, MNIST).unwrap();
        let link = settings.output().link;
        let mut parsed = SettingsInput::default();
        for (key, value) in &link {
            match *key {
                "model" => parsed.model = Some(value.clone()),
                "preset" => parsed.preset = Some(value.clone()),
                "seed" => parsed.seed = value.parse().ok(),
                field => parsed = parsed.with(field, value.parse().unwrap()),
            }
        }
        assert_eq!(Settings::default().apply(&parsed, MNIST).unwrap().0, settings, "{link:?}");
        let is_gan = matches!(settings.model(), ModelKind::Gan(_));
        assert_eq!(link.iter().any(|(k, _)| *k == "preset"), is_gan, "{link:?}");
    }
}

#[test]
fn links_parse_to_settings() {
    let pairs: Vec<(String, String)> = [("model", "vae"), ("backend", "cpu"), ("beta", "0.5"), ("seed", "x"), ("batchSize", "")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let input = SettingsInput::from_link(&pairs);
    assert_eq!((input.model.as_deref(), input.values["beta"]), (Some("vae"), Some(0.5)));
    assert!(input.seed.unwrap().is_nan() && input.values["batchSize"].unwrap().is_nan());
    assert_eq!(input.values.len(), 2);
}

/// Each refusal of a link stays, whatever is accepted after it.
#[test]
fn a_link_keeps_every_refusal() {
    let s = Settings::default();
    let link = input(|i| {
        i.model = Some("nonsense".into());
        i.seed = Some(9.0);
    });
    let (next, _, refusals) = apply_each(&s, &link, MNIST);
    assert_eq!(next.seed(), 9);
    assert_eq!(refusals.iter().map(|e| e.field()).collect::<Vec<_>>(), [Some("model")]);

    let link = model("vae").with("learningRate", -1.0).with("beta", 0.5);
    let (next, restart, refusals) = apply_each(&s, &link, MNIST);
    assert!(restart);
    assert_eq!(next.model().name(), "vae");
    assert_eq!(Control::find("beta").unwrap().get(&next.recipe), Some(0.5));
    assert_eq!(refusals.iter().map(|e| e.field()).collect::<Vec<_>>(), [Some("learningRate")]);
}
