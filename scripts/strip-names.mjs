// Drops the `name` and `producers` custom sections from a wasm file, in place: function names
// (a sixth of the download) only make browser stack traces readable, and the page's users
// never read those. Every other section is copied byte for byte, so the module is unchanged.
// (Debian's wasm-opt 108 also strips them, but rewrites the module and broke wasm-bindgen's
// externref table doing so.)
// Usage: node scripts/strip-names.mjs FILE.wasm
import { readFileSync, writeFileSync } from 'node:fs';

const DROP = new Set(['name', 'producers']);
const path = process.argv[2];
const bytes = readFileSync(path);
if (bytes.readUInt32BE(0) !== 0x0061736d) throw new Error(`${path} is not a wasm module`);

function leb(at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}

const kept = [bytes.subarray(0, 8)];
for (let at = 8; at < bytes.length;) {
  const start = at;
  const [size, body] = leb(at + 1);
  const end = body + size;
  if (end > bytes.length) throw new Error(`${path}: a section runs past the end of the file`);
  let drop = false;
  if (bytes[start] === 0) {
    const [length, name] = leb(body);
    drop = DROP.has(bytes.toString('utf8', name, name + length));
  }
  if (!drop) kept.push(bytes.subarray(start, end));
  at = end;
}
writeFileSync(path, Buffer.concat(kept));
