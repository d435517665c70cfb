// The model diagram: each of the seven models, picked in the Model menu, has one whose boxes
// carry the shapes docs/models.md gives its layers (the paper presets' widths, written here
// by hand from that page as an independent oracle); the GANs draw a real and a fake path into
// their discriminator or critic; and while the latent point is dragged, the path from it
// through the decoder or generator to the image is lit, and put out when the drag ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { lab, openPage } from './lab.mjs';

// Output shapes per part, in the order data flows, from docs/models.md.
const AE = { data: ['784'], encoder: ['128', '64', '2'], decoder: ['64', '128', '784'] };
const VAE = { data: ['784'], encoder: ['512', '64', '2', '2'], sampling: ['2'], decoder: ['64', '512', '784'] };
const POLY_G = { noise: ['2'], generator: ['12800', '128×10×10', '128×20×20', '64×40×40', '1×40×40'], data: ['1×40×40'] };
const EXPECTED = {
  ae: { parts: AE, losses: ['reconstruction'] },
  'ae-classifier': { parts: { ...AE, classifier: ['10'] }, losses: ['reconstruction', 'classifier'] },
  vae: { parts: VAE, losses: ['reconstruction', 'kl'] },
  'vae-classifier': { parts: { ...VAE, classifier: ['10'] }, losses: ['reconstruction', 'kl', 'classifier'] },
  'dcgan-mnist': {
    paper: true,
    parts: {
      noise: ['100'],
      generator: ['12544', '256×7×7', '128×7×7', '64×14×14', '1×28×28'],
      data: ['1×28×28'],
      discriminator: ['64×14×14', '128×7×7', '6272', '1'],
    },
    losses: ['critic', 'generator'],
  },
  'dcgan-poly': {
    paper: true,
    parts: { ...POLY_G, discriminator: ['16×20×20', '32×10×10', '32×11×11', '64×6×6', '128×6×6', '4608', '1'] },
    losses: ['critic', 'generator'],
  },
  'wgan-poly': {
    paper: true,
    parts: { ...POLY_G, critic: ['128×20×20', '256×10×10', '256×11×11', '512×6×6', '1024×6×6', '36864', '1'] },
    losses: ['critic', 'generator'],
  },
};

/** What the page's diagram shows: each part's box shapes in order, the losses, the paths. */
const readDiagram = (page) => page.evaluate(() => {
  const svg = document.querySelector('#diagram svg');
  if (!svg) return null;
  const parts = {};
  for (const node of svg.querySelectorAll('.diagram-node')) (parts[node.dataset.part] ??= []).push(node.dataset.shape);
  const edges = [...svg.querySelectorAll('.diagram-edge[data-path]')].map((e) => `${e.dataset.path}:${e.dataset.from}->${e.dataset.to}`);
  const first = (part) => svg.querySelector(`.diagram-node[data-part="${part}"]`)?.dataset.node;
  return {
    label: svg.getAttribute('aria-label'),
    parts,
    losses: [...svg.querySelectorAll('.diagram-loss')].map((l) => l.dataset.loss),
    edges,
    critic: first('discriminator') ?? first('critic'),
    visible: svg.getBoundingClientRect().height > 100,
  };
});

/** Picks `model` in the menu (and its paper preset, whose widths docs/models.md gives) and
 * waits for the diagram of that model and preset. */
async function pick(page, model, paper) {
  await page.selectOption('#model', model);
  const label = await page.$eval(`#model option[value="${model}"]`, (o) => o.textContent);
  const shown = (text) => document.querySelector('#diagram svg')?.getAttribute('aria-label').includes(text);
  await page.waitForFunction(shown, `of the ${label}.`, { timeout: 180_000 });
  if (paper) {
    await page.waitForFunction(() => !document.getElementById('preset-select').disabled, null, { timeout: 180_000 });
    await page.selectOption('#preset-select', 'paper');
    await page.waitForFunction(() => /Preset: paper/.test(document.getElementById('preset').textContent), null, { timeout: 180_000 });
  }
  return label;
}

test('every model has a diagram whose shapes are those of docs/models.md', { timeout: 900_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  const models = await page.$$eval('#model option', (options) => options.map((o) => o.value));
  assert.deepEqual([...models].sort(), Object.keys(EXPECTED).sort());
  for (const model of models) {
    const expected = EXPECTED[model];
    await pick(page, model, expected.paper);
    // The live preset is narrower; the paper preset's diagram is drawn once it is in force
    // (a diagram that never gets there fails on the comparison below, which shows the shapes).
    await page.waitForFunction((want) => {
      const shapes = [...document.querySelectorAll('#diagram svg .diagram-node')].map((n) => n.dataset.shape);
      return want.every((s) => shapes.includes(s));
    }, Object.values(expected.parts).flat(), { timeout: 60_000 }).catch(() => null);
    const diagram = await readDiagram(page);
    assert.ok(diagram?.visible, `${model}: no diagram drawn`);
    assert.deepEqual(diagram.parts, expected.parts, model);
    assert.deepEqual(diagram.losses, expected.losses, model);
    if (expected.paper) {
      // GAN Lab's two paths: real images and the generator's fake ones, into the same first
      // layer of the discriminator or critic.
      const into = diagram.critic;
      assert.ok(diagram.edges.includes(`real:real->${into}`), `${model}: ${diagram.edges}`);
      assert.ok(diagram.edges.includes(`fake:fake->${into}`), `${model}: ${diagram.edges}`);
      assert.ok(diagram.edges.some((e) => e.startsWith('fake:noise->')), `${model}: ${diagram.edges}`);
    } else {
      assert.deepEqual(diagram.edges, [], `${model}: an autoencoder has no real and fake paths`);
    }
  }
  assert.deepEqual(errors, []);
  await page.close();
});

/** The ids of the lit boxes, whether the diagram says it is lit, and a lit box's stroke. */
const litState = (page) => page.evaluate(() => {
  const svg = document.querySelector('#diagram svg');
  const lit = svg.classList.contains('lit');
  const boxes = [...svg.querySelectorAll('.diagram-node.decode')];
  return {
    lit,
    highlight: svg.dataset.highlight,
    nodes: boxes.map((b) => b.dataset.node),
    parts: [...new Set(boxes.map((b) => b.dataset.part))],
    stroke: boxes.length ? getComputedStyle(boxes.at(-1).querySelector('rect')).stroke : null,
    point: svg.querySelector('.diagram-point')?.textContent ?? '',
  };
});

const LIT_STROKE = 'rgb(194, 65, 12)';

for (const [model, parts] of [['vae', ['sampling', 'decoder']], ['dcgan-poly', ['noise', 'generator']]]) {
  test(`dragging the ${model}'s point lights the path through the ${parts[1]} to the image`, { timeout: 600_000 }, async () => {
    const { page, errors } = await openPage(`?backend=cpu&model=${model}`);
    await page.waitForFunction(() => document.querySelector('#diagram svg .diagram-point')?.textContent, null, { timeout: 120_000 });
    const before = await litState(page);
    assert.equal(before.lit, false);
    assert.notEqual(before.stroke, LIT_STROKE);
    await page.locator('#latent').scrollIntoViewIfNeeded();
    const box = await page.locator('#latent').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.3, { steps: 6 });
    const during = await litState(page);
    assert.equal(during.lit, true, `${model}: not lit during the drag`);
    assert.equal(during.highlight, 'true');
    assert.deepEqual(during.parts, parts, `${model}: lit ${during.nodes}`);
    assert.equal(during.stroke, LIT_STROKE);
    // The point written in the diagram follows the decoded point.
    const caption = /\(([-\d.]+), ([-\d.]+)\)/;
    await page.waitForFunction((before) => {
      const point = document.querySelector('#diagram svg .diagram-point').textContent;
      return point !== before && document.getElementById('decoded-caption').textContent.endsWith(`= ${point}`);
    }, before.point, { timeout: 60_000 });
    assert.match((await litState(page)).point, caption);
    await mkdir('test-artifacts', { recursive: true });
    await page.locator('#diagram-card').screenshot({ path: `test-artifacts/diagram-${model}-drag.png` });
    await page.mouse.up();
    await page.waitForFunction(() => !document.querySelector('#diagram svg').classList.contains('lit'), null, { timeout: 10_000 });
    const after = await litState(page);
    assert.equal(after.highlight, 'false');
    assert.notEqual(after.stroke, LIT_STROKE);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('the diagram reads at a phone\'s width: no wider than the screen, text not shrunk away', { timeout: 300_000 }, async () => {
  const page = await lab.browser.newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(`${lab.base}?backend=cpu&model=wgan-poly`);
  await page.waitForFunction(() => document.querySelector('#diagram svg'), null, { timeout: 180_000 });
  const size = await page.evaluate(() => {
    const svg = document.querySelector('#diagram svg');
    const rect = svg.getBoundingClientRect();
    return { left: rect.left, right: rect.right, scale: rect.width / Number(svg.dataset.width), page: document.documentElement.scrollWidth };
  });
  assert.ok(size.left >= 0 && size.right <= 390, JSON.stringify(size));
  assert.ok(size.page <= 390, `the page scrolls sideways: ${size.page}`);
  assert.ok(size.scale >= 0.75, `the diagram's text is scaled to ${size.scale}`);
  await page.close();
});
