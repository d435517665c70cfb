// The runs kept in the browser (IndexedDB), one per model: the latest checkpoint of each, so
// that closing the tab or reloading never costs a run. Used by the worker, which holds the
// Session that writes and reads the checkpoints.

const DB = 'latent-lab';
const STORE = 'runs';

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

/** Keeps `bytes` (a checkpoint) as the saved run of `model`, replacing the previous one. */
export function saveRun(model, step, bytes) {
  return transact('readwrite', (store) => store.put({ model, step, savedAt: Date.now(), bytes }));
}

/** `{model, step, savedAt}` of every saved run, newest first. */
export async function listRuns() {
  const runs = await transact('readonly', (store) => store.getAll());
  return runs.map(({ model, step, savedAt }) => ({ model, step, savedAt })).sort((a, b) => b.savedAt - a.savedAt);
}

/** The saved run of `model` (`{model, step, savedAt, bytes}`), or undefined. */
export function loadRun(model) {
  return transact('readonly', (store) => store.get(model));
}

export function deleteRun(model) {
  return transact('readwrite', (store) => store.delete(model));
}
