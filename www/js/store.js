// What the browser keeps (IndexedDB), for the worker, which holds the Session that writes
// and reads it: the runs, one per model (the latest checkpoint of each), so that closing the
// tab or reloading never costs a run; and your own data's files, up to a size you choose,
// with the judge trained for them, so that a run on them resumes without asking for them.

const DB = 'latent-lab';
const STORE = 'runs';
// Your data: what it is (small, listed often) apart from its files (large, read to load it).
const DATA = 'datasets';
const FILES = 'dataset-files';
// The largest checkpoint the Session writes is tens of megabytes; a record claiming far more
// than that is damaged, and trusting its size would ask the browser for gigabytes.
const MAX_BYTES = 512 * 2 ** 20;
// The header alone of a checkpoint (src/checkpoint.rs) takes 12 bytes.
const MIN_BYTES = 12;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 2);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'model' });
      if (!db.objectStoreNames.contains(DATA)) db.createObjectStore(DATA, { keyPath: 'hash' });
      if (!db.objectStoreNames.contains(FILES)) db.createObjectStore(FILES, { keyPath: 'hash' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Runs `work` on the object store `name` (or the stores named, when an array) in one
// transaction, and resolves to the `result` of the request it returns once that commits.
async function transact(mode, work, name = STORE) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const stores = Array.isArray(name) ? name.map((n) => tx.objectStore(n)) : [tx.objectStore(name)];
      const result = work(...stores);
      tx.oncomplete = () => resolve(result?.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('the browser refused to store the run'));
    });
  } finally {
    db.close();
  }
}

/**
 * Why a stored record is not a run this page can resume, or null when it is. `models` are the
 * names the catalog knows. The store is the browser's, so another page of this origin, an
 * older version or a damaged disk may have left anything in it: nothing a record claims
 * about itself (its length above all) is used before this check.
 */
export function damage(record, models) {
  if (record === null || typeof record !== 'object') return 'it is not a saved run';
  const { model, step, savedAt, bytes } = record;
  if (typeof model !== 'string' || !models.includes(model)) return 'its model is not one this page knows';
  if (!Number.isSafeInteger(step) || step < 0) return 'its step count is not a whole number';
  if (!Number.isFinite(savedAt)) return 'its date is not a date';
  if (!(bytes instanceof ArrayBuffer || bytes instanceof Uint8Array)) return 'it holds no checkpoint';
  if (bytes.byteLength < MIN_BYTES || bytes.byteLength > MAX_BYTES) return 'its checkpoint has an impossible size';
  return null;
}

/** Keeps `bytes` (a checkpoint) as the saved run of `model`, replacing the previous one. */
export function saveRun(model, step, bytes) {
  return transact('readwrite', (store) => store.put({ model, step, savedAt: Date.now(), bytes }));
}

/**
 * Every saved run as `{model, step, savedAt, damaged}`, newest first, damaged ones last.
 * `model` is the record's key as stored (the store's key path), whatever its type, which is
 * what `loadRun` and `deleteRun` take; `damaged` says why a run cannot be resumed, or is null.
 */
export async function listRuns(models) {
  const records = await transact('readonly', (store) => store.getAll());
  const runs = records.map((record) => {
    const damaged = damage(record, models);
    const { model, step, savedAt } = record;
    return damaged ? { model, step: null, savedAt: null, damaged } : { model, step, savedAt, damaged };
  });
  return runs.sort((a, b) => Boolean(a.damaged) - Boolean(b.damaged) || b.savedAt - a.savedAt);
}

/** The saved run of `model` (`{model, step, savedAt, bytes}`), checked; undefined if none. */
export async function loadRun(model, models) {
  const record = await transact('readonly', (store) => store.get(model));
  const damaged = record === undefined ? null : damage(record, models);
  if (damaged) throw new Error(`The run kept in this browser for ${model} is damaged (${damaged}); discard it.`);
  return record;
}

export function deleteRun(model) {
  return transact('readwrite', (store) => store.delete(model));
}

const HASH = /^[0-9a-f]{32}$/;
const SLOTS = ['side28', 'side40'];

/** Why a stored record of your data cannot be used, or null when it can (see `damage`). */
export function dataDamage(record) {
  if (record === null || typeof record !== 'object') return 'it is not kept data';
  const { hash, name, slot, size, savedAt } = record;
  if (typeof hash !== 'string' || !HASH.test(hash)) return 'its content hash is not one';
  if (typeof name !== 'string' || !name) return 'it has no name';
  if (!SLOTS.includes(slot)) return 'its image size is not one the models take';
  if (!Number.isSafeInteger(size) || size < 0) return 'its size is not a number of bytes';
  if (!Number.isFinite(savedAt)) return 'its date is not a date';
  return null;
}

const filesDamage = (record) => (!Array.isArray(record?.files)
  || !record.files.every((f) => typeof f?.path === 'string' && (f.bytes instanceof ArrayBuffer || f.bytes instanceof Uint8Array))
  ? 'its files are not files'
  : null);

/** Your data kept in this browser, `{hash, name, slot, size, savedAt, judge}` each, newest first. */
export async function listData() {
  const records = await transact('readonly', (store) => store.getAll(), DATA);
  return records.filter((r) => !dataDamage(r)).sort((a, b) => b.savedAt - a.savedAt);
}

/**
 * Your data `hash` as kept: `{hash, name, slot, files: [{path, bytes}], judge}`, `judge` the
 * weights of its judge or null; undefined when it is not kept.
 */
export async function loadData(hash) {
  const [record, stored] = await Promise.all([
    transact('readonly', (store) => store.get(hash), DATA),
    transact('readonly', (store) => store.get(hash), FILES),
  ]);
  if (record === undefined || stored === undefined) return undefined;
  const damaged = dataDamage(record) ?? filesDamage(stored);
  if (damaged) {
    await deleteData(hash);
    throw new Error(`Your data ${record?.name ?? hash} kept in this browser is damaged (${damaged}), so it was discarded: give its files again.`);
  }
  const judge = stored.judge instanceof Uint8Array || stored.judge instanceof ArrayBuffer ? new Uint8Array(stored.judge) : null;
  return { ...record, files: stored.files, judge };
}

export function deleteData(hash) {
  return transact('readwrite', (meta, files) => {
    files.delete(hash);
    return meta.delete(hash);
  }, [DATA, FILES]);
}

/**
 * Keeps at most `limit` bytes of your data, the newest first: older data goes to make room.
 * Returns what is kept.
 */
export async function pruneData(limit) {
  const kept = [];
  let total = 0;
  for (const record of await listData()) {
    if (total + record.size <= limit) {
      total += record.size;
      kept.push(record);
    } else {
      await deleteData(record.hash);
    }
  }
  return kept;
}

/**
 * Keeps your data `{hash, name, slot, files}` (with `judge`, its judge's weights, when there is
 * one) if its files take at most `limit` bytes, making room by dropping older data. Returns
 * `{kept, size}`.
 */
export async function keepData({ hash, name, slot, files, judge = null }, limit) {
  const size = files.reduce((sum, f) => sum + f.bytes.byteLength, 0);
  if (size > limit) return { kept: false, size };
  const known = await transact('readonly', (store) => store.get(hash), DATA);
  if (known && !dataDamage(known)) {
    // The same data again (the hash is of its images): it is the newest now, judge and all.
    await transact('readwrite', (meta) => meta.put({ ...known, name, savedAt: Date.now() }), DATA);
    await pruneData(limit);
    return { kept: true, size: known.size };
  }
  await pruneData(limit - size);
  await transact('readwrite', (meta, stored) => {
    stored.put({ hash, files, judge });
    return meta.put({ hash, name, slot, size, savedAt: Date.now(), judge: Boolean(judge) });
  }, [DATA, FILES]);
  return { kept: true, size };
}

/** Keeps `bytes`, the weights of the judge of your data `hash`, with its files if they are kept. */
export async function keepJudge(hash, bytes) {
  const [record, stored] = await Promise.all([
    transact('readonly', (store) => store.get(hash), DATA),
    transact('readonly', (store) => store.get(hash), FILES),
  ]);
  if (!record || !stored) return false;
  await transact('readwrite', (meta, files) => {
    files.put({ ...stored, judge: bytes });
    return meta.put({ ...record, judge: true });
  }, [DATA, FILES]);
  return true;
}
