// The Dataset menu: the built-in datasets of the current model's image size (the catalog's),
// the data of yours the model trains on, your data of that size kept in this browser, and
// "your own files…" and "your own folder…", which open the file pickers. Your own files, chosen or dropped (folders included), go to the
// worker as {path, bytes}; the Session's collector there decodes, resizes and checks them
// and says what they became.

const OWN_FILES = 'own-files';
const OWN_FOLDER = 'own-folder';
const CURRENT = 'current';
const KEPT = 'kept:'; // and the data's hash

export class DatasetMenu {
  /**
   * @param {{select: HTMLSelectElement, files: HTMLInputElement, folder: HTMLInputElement,
   *   onBuiltin: (name: string) => void, onOwn: (name: string, files: File[]) => void,
   *   onKept: (hash: string) => void}} parts
   */
  constructor({ select, files, folder, onBuiltin, onOwn, onKept }) {
    Object.assign(this, { select, onBuiltin, onOwn });
    this.datasets = [];
    this.kept = [];
    this.installed = {};
    this.loaded = {}; // slot -> the Session's summary of its data
    this.slot = null;
    select.addEventListener('change', () => {
      const { value } = select;
      if (value === OWN_FILES) files.click();
      else if (value === OWN_FOLDER) folder.click();
      else if (value.startsWith(KEPT)) onKept(value.slice(KEPT.length));
      else if (value !== CURRENT) onBuiltin(value);
      this.render(); // the menu shows the data in use until the worker reports new data
    });
    for (const input of [files, folder]) {
      input.addEventListener('change', () => {
        const chosen = [...input.files];
        input.value = ''; // choosing the same files again is a new request
        // An empty folder is sent too: the worker says that it holds no images.
        const root = chosen[0]?.webkitRelativePath.split('/')[0];
        onOwn(root || nameOf(chosen.map((f) => f.name)), chosen);
      });
    }
  }

  setCatalog(catalog) {
    this.datasets = catalog.datasets;
    this.render();
  }

  setInstalled(installed) {
    this.installed = installed;
    this.render();
  }

  setLoaded(summary) {
    this.loaded[summary.slot] = summary;
    this.render();
  }

  /** Your data kept in this browser (`{hash, name, slot, size}` each), newest first. */
  setKept(kept) {
    this.kept = kept;
    this.render();
  }

  setSlot(slot) {
    this.slot = slot;
    this.render();
  }

  /** The data the current model trains on, as the Session last reported it. */
  current() {
    return this.loaded[this.slot] ?? null;
  }

  render() {
    const current = this.current();
    const option = (value, text, disabled = false) => {
      const o = new Option(text, value);
      o.disabled = disabled;
      return o;
    };
    const options = this.datasets.filter((d) => d.slot === this.slot).map((d) => option(
      d.name,
      this.installed[d.name] === false ? `${d.label} (not installed)` : d.label,
      this.installed[d.name] === false,
    ));
    if (current && !current.id.builtin) options.push(option(CURRENT, `Yours: ${current.label}`));
    for (const { hash, name, slot, size } of this.kept) {
      if (slot === this.slot && hash !== current?.id.hash) options.push(option(`${KEPT}${hash}`, `Kept: ${name} (${(size / 2 ** 20).toFixed(1)} MB)`));
    }
    options.push(option(OWN_FILES, 'Your own files…'), option(OWN_FOLDER, 'Your own folder…'));
    this.select.replaceChildren(...options);
    this.select.value = !current ? this.select.options[0]?.value : current.id.builtin ? current.id.name : CURRENT;
  }
}

/** How several files given together are named: by the first, so that two sets differ. */
function nameOf(names) {
  if (!names.length) return 'no files';
  return names.length === 1 ? names[0] : `${names[0]} and ${names.length - 1} more`;
}

/** What a drop holds, folders read through: {name, files}, each file with its path. */
export async function droppedFiles(dataTransfer) {
  const entries = [...dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return { name: dataTransfer.files[0]?.name, files: [...dataTransfer.files] };
  const files = [];
  const walk = async (entry) => {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      files.push({ file, path: entry.fullPath.replace(/^\//, '') });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      // readEntries hands them over in batches until an empty one.
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const entry of entries) await walk(entry);
  const name = entries.length === 1 ? entries[0].name : nameOf(entries.map((e) => e.name));
  return { name, files };
}

/** Files (with their paths under the folder chosen or dropped) as the worker takes them. */
export async function readFiles(files) {
  return Promise.all(files.map(async (f) => {
    const file = f.file ?? f;
    const path = f.path ?? (file.webkitRelativePath || file.name);
    return { path, bytes: await file.arrayBuffer() };
  }));
}
