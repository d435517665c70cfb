// What the page's charts need to know about each model the worker trains: whether it is
// variational (a KL term, sampled or mean codes) and whether it has a latent classifier.
// Everything else (settings, presets, image size) comes with the worker's config.

const MODELS = {
  ae: { variational: false, classifier: false },
  'ae-classifier': { variational: false, classifier: true },
  vae: { variational: true, classifier: false },
  'vae-classifier': { variational: true, classifier: true },
  'dcgan-mnist': { variational: false, classifier: false },
  'dcgan-poly': { variational: false, classifier: false },
  'wgan-poly': { variational: false, classifier: false },
};

/** The traits of a model by its name in the worker's config. */
export function modelTraits(name) {
  const traits = MODELS[name];
  if (!traits) throw new Error(`Latent Lab: the page does not know the model "${name}"`);
  return traits;
}
