// A float32 .npy of `count` 40x40 images in NumPy's format (version 1.0), the i-th value
// `pixel(i)`: the polynomial GANs' own-data input, for tests and the soak.
export function npy(count, pixel) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${count}, 40, 40), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.alloc(2), Buffer.from(header, 'latin1')]);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(new Float32Array(count * 1600).map((_, i) => pixel(i)).buffer)]);
}
