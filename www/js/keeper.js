// Your own data kept in this browser, for the worker: the size you allow, your files last
// given (held here, so that raising the size keeps them at once), and what the page is told
// of both. The records themselves are store.js's.
import { keepData, keepJudge, listData, loadData, pruneData } from './store.js';

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MB`;

export class Keeper {
  /**
   * @param {(msg: object) => void} post  sends the page a message
   * @param {(hash: string) => Promise<Uint8Array|null>} judgeOf  the weights of the judge of
   *   your data `hash`, or null when it has none
   */
  constructor(post, judgeOf) {
    Object.assign(this, { post, judgeOf });
    this.last = null;
    this.limit = 0;
  }

  /** How many bytes of your files this browser may keep; older data goes to fit. */
  async setLimit(bytes) {
    this.limit = Number.isFinite(bytes) && bytes >= 0 ? bytes : 0;
    await this.keep();
  }

  /** Your files `{hash, name, slot, files}` just loaded, kept if they fit; `fromStorage` when they came from here. */
  async given(data, fromStorage) {
    this.last = data;
    await this.keep(fromStorage ? `${data.name} came from this browser's storage.` : null);
  }

  /**
   * Keeps your files last given, if they fit the size allowed (making room by dropping older
   * data), with their judge when there is one, and tells the page; `status` says where they
   * came from instead when they were kept already.
   */
  async keep(status = null) {
    let said = status;
    const { last, limit } = this;
    try {
      await pruneData(limit);
      if (last && !status) {
        const { kept, size } = await keepData(last, limit);
        said = kept
          ? `${last.name} (${mb(size)}) is kept in this browser: runs on it resume without its files.`
          : `${last.name} (${mb(size)}) is not kept in this browser: it is more than the ${mb(limit)} allowed.`;
        const judge = kept ? await this.judgeOf(last.hash) : null;
        if (judge) await keepJudge(last.hash, judge);
      }
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) throw e; // the worker's wasm trapped: not ours to say
      said = `Your files could not be kept in this browser: ${e?.message ?? e}`;
    }
    await this.offer(said);
  }

  /** Tells the page what is kept, for the Dataset menu (nothing without IndexedDB). */
  async offer(status = null) {
    let data = [];
    try {
      data = await listData();
    } catch {
      // Without storage nothing is kept; `keep` says so when files are given.
    }
    this.post({ type: 'keptData', data, status });
  }

  /**
   * Your data `hash` as this browser kept it, files and judge (see store.js `loadData`), or
   * an error that says how to get it back; `why` says what it is needed for.
   */
  async read(hash, why = '') {
    let kept;
    try {
      kept = await loadData(hash);
    } catch (e) {
      await this.offer(); // a damaged record was discarded
      throw e;
    }
    if (!kept) {
      await this.offer();
      throw new Error(`${why}Your data ${hash.slice(0, 8)} is not kept in this browser (its files were larger than the size allowed, or it was dropped to make room): choose the same files again with “Your own files…” or “Your own folder…”.`);
    }
    return kept;
  }
}
