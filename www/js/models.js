// What the page needs to know about each model the worker trains: whether it is variational
// (a KL term, sampled or mean codes, a beta), whether it has a latent classifier, and the
// settings of the paper it follows.

const AE_PRESET = {
  values: { learningRate: 0.001, batchSize: 256 },
  text: 'paper (Adam 1e-3, batch 256)',
};
const VAE_PRESET = {
  values: { learningRate: 0.001, batchSize: 128, beta: 0.01 },
  text: 'paper (Adam 1e-3, batch 128, beta 0.01)',
};

const MODELS = {
  ae: { variational: false, classifier: false, preset: AE_PRESET },
  'ae-classifier': { variational: false, classifier: true, preset: AE_PRESET },
  vae: { variational: true, classifier: false, preset: VAE_PRESET },
  'vae-classifier': { variational: true, classifier: true, preset: VAE_PRESET },
};

/** The traits of a model by its name in the worker's config. */
export function modelTraits(name) {
  const traits = MODELS[name];
  if (!traits) throw new Error(`Latent Lab: the page does not know the model "${name}"`);
  return traits;
}
