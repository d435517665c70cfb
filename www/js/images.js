// Drawing small RGBA images (28x28 digits) large and sharp.

import { FONT_FAMILY } from './util.js';

/** Sizes `canvas` to a w x h RGBA image and puts the image in it, for drawImage to scale. */
export function putPixels(canvas, rgba, width, height) {
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
  return canvas;
}

// drawImage can scale a canvas but not ImageData, so each image is staged here first.
const stage = document.createElement('canvas');
const staged = (rgba, width, height) => putPixels(stage, rgba, width, height);

function fitBackingStore(canvas, cssWidth, cssHeight) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(cssWidth * dpr);
  const h = Math.round(cssHeight * dpr);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  return dpr;
}

/** Fills the canvas (at its CSS size) with one w x h RGBA image, without smoothing. */
export function drawPixels(canvas, rgba, width, height) {
  if (canvas.clientWidth === 0) return;
  fitBackingStore(canvas, canvas.clientWidth, canvas.clientHeight);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(staged(rgba, width, height), 0, 0, canvas.width, canvas.height);
}

/**
 * Labelled rows of `count` images each, `rows[r].pixels` holding them concatenated.
 * The canvas keeps its CSS width and gets the height the rows need.
 */
export function drawImageRows(canvas, { count, width, height, rows }) {
  const cssWidth = canvas.clientWidth;
  if (cssWidth === 0 || count === 0) return;
  const dpr = window.devicePixelRatio || 1;
  const gap = Math.round(6 * dpr);
  const labelHeight = Math.round(22 * dpr);
  const fit = Math.min(84 * dpr, (cssWidth * dpr - gap * (count - 1)) / count);
  // Whole multiples of the image size make every source pixel the same size on screen.
  const scale = fit >= width ? Math.floor(fit / width) : fit / width;
  const cellWidth = Math.floor(width * scale);
  const cellHeight = Math.floor(height * scale);
  const rowHeight = labelHeight + cellHeight;
  const cssHeight = Math.ceil((rows.length * rowHeight + (rows.length - 1) * gap) / dpr);
  canvas.style.height = `${cssHeight}px`;
  fitBackingStore(canvas, cssWidth, cssHeight);

  const ctx = canvas.getContext('2d');
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = false;
  ctx.font = `600 ${Math.round(12 * dpr)}px ${FONT_FAMILY}`;
  ctx.fillStyle = '#4b5565';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  const size = width * height * 4;
  rows.forEach(({ label, pixels }, r) => {
    const top = r * (rowHeight + gap);
    ctx.fillText(label, 0, top + labelHeight - Math.round(7 * dpr));
    for (let i = 0; i < count; i++) {
      const image = staged(pixels.subarray(i * size, (i + 1) * size), width, height);
      ctx.drawImage(image, i * (cellWidth + gap), top + labelHeight, cellWidth, cellHeight);
    }
  });
}

/** Muted text centred on a canvas that has nothing to show yet. */
export function drawMessage(canvas, text, cssHeight) {
  const cssWidth = canvas.clientWidth;
  if (cssWidth === 0) return;
  canvas.style.height = `${cssHeight}px`;
  const dpr = fitBackingStore(canvas, cssWidth, cssHeight);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  ctx.font = `13px ${FONT_FAMILY}`;
  ctx.fillStyle = '#8a93a3';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  // Broken into lines that fit, so that a phone's narrow card shows all of it.
  const lines = [];
  for (const word of text.split(' ')) {
    const line = lines.length ? `${lines[lines.length - 1]} ${word}` : word;
    if (lines.length && ctx.measureText(line).width <= cssWidth - 16) lines[lines.length - 1] = line;
    else lines.push(word);
  }
  const lineHeight = 18;
  lines.forEach((line, i) => ctx.fillText(line, cssWidth / 2, cssHeight / 2 + (i - (lines.length - 1) / 2) * lineHeight));
}
