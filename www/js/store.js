// The runs kept in the browser (IndexedDB), one per model: the latest checkpoint of each, so
// that closing the tab or reloading never costs a run. Used by the worker, which holds the
// Session that writes and reads the checkpoints.

const DB = 'latent-lab';
const STORE = 'runs';
// The largest checkpoint the Session writes is tens of megabytes; a record claiming far more
// than that is damaged, and trusting its size would ask the browser for gigabytes.
const MAX_BYTES = 512 * 2 ** 20;
// The header alone of a checkpoint (src/checkpoint.rs) takes 12 bytes.
const MIN_BYTES = 12;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'model' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result.result);
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
