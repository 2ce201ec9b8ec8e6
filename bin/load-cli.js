// Loads the CLI (dist/cli.cjs and the CommonJS chunks it requires) compiled from V8's code cache,
// so a start compiles little. On Node >= 22.1 that is Node's own cache (module.enableCompileCache)
// and Node's require. On Node 20 it is done here, as v8-compile-cache does it: each chunk compiled
// with the cached data of an earlier run, and the data of chunks that had none (or whose data V8
// refused) written when the process exits, so it holds every function that run compiled. A chunk
// requiring a chunk (`./name.cjs`, always beside it) is loaded directly, without Node's search of
// the file system and package.json files. Other requests go to Node's require.
//
// A cache entry is named by the chunk's file, size, inode and modification time (as make and git's
// index tell a changed file; hashing the text needs crypto or zlib, 3-10 ms to load), and V8 checks
// its own version, flags and the source's length. A missing or unwritable cache only costs time.
// NODE_DISABLE_COMPILE_CACHE turns it off, as it does Node's; so do source-mapped stacks
// (--verbose), which need Node's own compile step.
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(process.env.HOME || require('node:os').homedir(), '.cache');
  return path.join(base, 'istio-wasm', 'compile-cache');
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
  const pending = [];
  process.once('exit', () => {
    if (pending.length === 0) return;
    try {
      fs.mkdirSync(store, { recursive: true });
      for (const { script, file } of pending) {
        const temp = `${file}.${process.pid}`;
        fs.writeFileSync(temp, script.createCachedData());
        fs.renameSync(temp, file);
      }
      prune(store);
    } catch {
      // no cache this time
    }
  });

  const load = (filename, parent) => {
    const loaded = Module._cache[filename];
    if (loaded) return loaded.exports;
    const module = new Module(filename, parent);
    module.filename = filename;
    module.paths = Module._nodeModulePaths(dist);
    Module._cache[filename] = module;
    try {
      const content = fs.readFileSync(filename, 'utf8');
      const { size, mtimeMs, ino } = fs.statSync(filename);
      const file = path.join(store, `${path.basename(filename)}-${size}-${ino}-${Math.round(mtimeMs * 1000)}`);
      let cachedData;
      try {
        cachedData = fs.readFileSync(file);
      } catch {
        // not cached yet
      }
      const script = new vm.Script(Module.wrap(content), { filename, cachedData });
      if (cachedData === undefined || script.cachedDataRejected) pending.push({ script, file });
      const require = (id) => (id.startsWith('./') && id.endsWith('.cjs') ? load(path.join(dist, id.slice(2)), module) : module.require(id));
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
