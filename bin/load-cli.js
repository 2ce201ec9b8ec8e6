// Loads the CLI (dist/cli.cjs and the CommonJS chunks it requires) compiled from V8's code cache,
// so a start compiles little. On Node >= 22.1 that is Node's own cache (module.enableCompileCache)
// and Node's require. On Node 20 it is done here, as v8-compile-cache does it: each chunk compiled
// with the cached data of an earlier run, and the data of chunks that had none (or whose data V8
// refused) written when the process exits, so it holds every function that run compiled. A chunk
// requiring a chunk (`./name.cjs`, always beside it) is loaded directly, without Node's search of
// the file system and package.json files. Other requests go to Node's require.
//
// The data of all chunks of an install is one file, read in one call (named by the entry chunk);
// each chunk's data is used only while the chunk's size, inode and modification time are those it
// was made from (as make and git's index tell a changed file; hashing the text needs crypto or
// zlib, 3-10 ms to load), and V8 checks its own version, flags and the source's length. A missing
// or unwritable cache only costs time.
// NODE_DISABLE_COMPILE_CACHE turns it off, as it does Node's; so do source-mapped stacks
// (--verbose), which need Node's own compile step.
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(process.env.HOME || require('node:os').homedir(), '.cache');
  return path.join(base, 'create-istio-wasm', 'compile-cache');
}

/**
 * Entries written more than a month ago go when new ones are written (after an install or a
 * build), so rebuilds do not pile up; an entry still in use is written again on its next start.
 */
function prune(store) {
  const before = Date.now() - 30 * 24 * 3600 * 1000;
  for (const name of fs.readdirSync(store)) {
    const file = path.join(store, name);
    const info = fs.statSync(file, { throwIfNoEntry: false });
    if (info && info.mtimeMs < before) fs.rmSync(file, { force: true });
  }
}

module.exports = function loadCli(dist, { sourceMaps }) {
  const entry = path.join(dist, 'cli.cjs');
  if (sourceMaps || process.env.NODE_DISABLE_COMPILE_CACHE) return require(entry);
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(path.join(cacheDir(), 'node'));
    return require(entry);
  }
  const store = path.join(cacheDir(), `${process.version}-${process.arch}`);
  const identity = (filename) => {
    const { size, mtimeMs, ino } = fs.statSync(filename);
    return `${size}-${ino}-${Math.round(mtimeMs * 1000)}`;
  };
  // One file per install holds the data of all its chunks (read in one call): a header of
  // { chunk: [identity, offset, length] } after its 4-byte length, then the data.
  const file = path.join(store, `cli.cjs-${identity(entry)}`);
  const records = new Map();
  try {
    const data = fs.readFileSync(file);
    const headerLength = data.readUInt32LE(0);
    const header = JSON.parse(data.toString('utf8', 4, 4 + headerLength));
    for (const [name, [id, offset, length]] of Object.entries(header)) records.set(name, { id, data: data.subarray(4 + headerLength + offset, 4 + headerLength + offset + length) });
  } catch {
    // none yet (or unreadable: written anew below)
  }
  const pending = [];
  process.once('exit', () => {
    if (pending.length === 0) return;
    try {
      for (const { name, id, script } of pending) records.set(name, { id, data: script.createCachedData() });
      const header = {};
      let offset = 0;
      for (const [name, { id, data }] of records) {
        header[name] = [id, offset, data.length];
        offset += data.length;
      }
      const headerBytes = Buffer.from(JSON.stringify(header));
      const length = Buffer.alloc(4);
      length.writeUInt32LE(headerBytes.length, 0);
      fs.mkdirSync(store, { recursive: true });
      const temp = `${file}.${process.pid}`;
      fs.writeFileSync(temp, Buffer.concat([length, headerBytes, ...[...records.values()].map((r) => r.data)]));
      fs.renameSync(temp, file);
      prune(store);
    } catch {
      // no cache this time
    }
  });

  const paths = Module._nodeModulePaths(dist);
  // Chunks' files by the name they are required by (each chunk requires the bundler's helpers
  // chunk, and most the shared ones, again and again).
  const chunks = new Map();
  const load = (filename, parent) => {
    const loaded = Module._cache[filename];
    if (loaded) return loaded.exports;
    const module = new Module(filename, parent);
    module.filename = filename;
    module.paths = paths;
    Module._cache[filename] = module;
    try {
      const content = fs.readFileSync(filename, 'utf8');
      const name = path.basename(filename);
      const id = identity(filename);
      const record = records.get(name);
      const cachedData = record?.id === id ? record.data : undefined;
      const script = new vm.Script(Module.wrap(content), { filename, cachedData });
      if (cachedData === undefined || script.cachedDataRejected) pending.push({ name, id, script });
      const require = (id) => {
        if (!id.startsWith('./') || !id.endsWith('.cjs')) return module.require(id);
        let chunk = chunks.get(id);
        if (chunk === undefined) chunks.set(id, (chunk = path.join(dist, id.slice(2))));
        return load(chunk, module);
      };
      require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
      require.main = process.mainModule;
      require.cache = Module._cache;
      script.runInThisContext({ displayErrors: true }).call(module.exports, module.exports, require, module, filename, dist);
    } catch (error) {
      delete Module._cache[filename];
      throw error;
    }
    module.loaded = true;
    return module.exports;
  };
  return load(entry, module);
};
