// Loads the CLI: its CommonJS chunks, kept in one file (dist/cli.chunks, written by
// scripts/build/cli-commonjs.mjs), each compiled when first required, from V8's code cache.
//
// Why one file: npm extracts a package file by file, and ~150 chunk files and as many source maps
// were most of the time `npx create-istio-wasm` spent installing; a start also opened and read
// each chunk it loaded. Now a start opens one file and reads and compiles only the chunks it
// requires (`./name.cjs`, found in the file's table, read at its offset). Other
// requests (Node's built-ins) go to Node's require.
//
// The code cache is kept here, as v8-compile-cache does it, on every Node version: each chunk
// compiled with the cached data of an earlier run, and the data of chunks that had none (or whose
// data V8 refused) written when the process exits, so it holds every function that run compiled.
// The data of all chunks of an install is one file, read in one call, used only while dist/cli.chunks
// has the size, inode and modification time it was made from (as make and git's index tell a
// changed file; hashing the text needs crypto or zlib, 3-10 ms to load); V8 checks its own
// version, flags and the source's length. A missing or unwritable cache only costs time.
// NODE_DISABLE_COMPILE_CACHE turns it off, as it does Node's.
//
// Stacks (--verbose, DEBUG) name the TypeScript file and line: the chunks' source maps are one
// file too (dist/cli.chunks.map), read only then, and applied to each frame of a chunk.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
// The class require('node:module') returns, without loading that module (and the ES module loader
// it requires: ~0.5 ms of every start); the public module is loaded only for source maps.
const Module = module.constructor;

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

/**
 * dist/cli.chunks: a first line of JSON, `{ "name.cjs": [offset, length] }` (bytes after that
 * line), then the chunks' sources one after another. Only the table is read at first; each chunk
 * is read (at its offset, from the descriptor kept open) when it is first required, so a start
 * reads the ~300 KB it runs, not the whole file.
 */
function openChunks(file) {
  const fd = fs.openSync(file, 'r');
  let head = Buffer.allocUnsafe(16384);
  let filled = 0;
  let newline = -1;
  while (newline < 0) {
    if (filled === head.length) head = Buffer.concat([head, Buffer.allocUnsafe(head.length)]);
    const read = fs.readSync(fd, head, filled, head.length - filled, filled);
    if (read === 0) throw new Error(`${file} is not a chunk file: reinstall create-istio-wasm (or run npm run build)`);
    newline = head.indexOf(10, filled);
    filled += read;
  }
  const table = JSON.parse(head.toString('utf8', 0, newline));
  const base = newline + 1;
  return {
    fd,
    has: (name) => Object.hasOwn(table, name),
    source(name) {
      const [offset, length] = table[name];
      const bytes = Buffer.allocUnsafe(length);
      for (let done = 0; done < length; ) {
        const read = fs.readSync(fd, bytes, done, length - done, base + offset + done);
        if (read === 0) throw new Error(`${file} ends inside ${name}: reinstall create-istio-wasm (or run npm run build)`);
        done += read;
      }
      return bytes.toString('utf8');
    },
  };
}

/** The code cache of one install's chunks: name → cached data, and a writer for what a run adds. */
function openCache(store, file, identity) {
  const records = new Map();
  try {
    // A header of { chunk: [identity, offset, length] } after its 4-byte length, then the data.
    const data = fs.readFileSync(file);
    const headerLength = data.readUInt32LE(0);
    const header = JSON.parse(data.toString('utf8', 4, 4 + headerLength));
    for (const [name, [id, offset, length]] of Object.entries(header)) {
      if (id === identity) records.set(name, data.subarray(4 + headerLength + offset, 4 + headerLength + offset + length));
    }
  } catch {
    // none yet (or unreadable: written anew below)
  }
  const pending = [];
  process.once('exit', () => {
    if (pending.length === 0) return;
    try {
      for (const { name, script } of pending) records.set(name, script.createCachedData());
      const header = {};
      let offset = 0;
      for (const [name, data] of records) {
        header[name] = [identity, offset, data.length];
        offset += data.length;
      }
      const headerBytes = Buffer.from(JSON.stringify(header));
      const length = Buffer.alloc(4);
      length.writeUInt32LE(headerBytes.length, 0);
      fs.mkdirSync(store, { recursive: true });
      const temp = `${file}.${process.pid}`;
      fs.writeFileSync(temp, Buffer.concat([length, headerBytes, ...records.values()]));
      fs.renameSync(temp, file);
      prune(store);
    } catch {
      // no cache this time
    }
  });
  return {
    data: (name) => records.get(name),
    compiled(name, script, cachedData) {
      if (cachedData === undefined || script.cachedDataRejected) pending.push({ name, script });
    },
  };
}

/**
 * Stacks that name the TypeScript sources: each frame in a chunk (`dist/name.cjs:line:column`)
 * mapped through that chunk's source map, the rest as V8 writes them.
 */
function mapStacks(dist, mapFile) {
  let maps;
  const parsed = new Map();
  const mapOf = (name) => {
    if (!parsed.has(name)) {
      maps ??= JSON.parse(fs.readFileSync(mapFile, 'utf8'));
      parsed.set(name, maps[name] ? new (require('node:module').SourceMap)(maps[name]) : undefined);
    }
    return parsed.get(name);
  };
  const wrapperLength = Module.wrapper[0].length;
  const frame = (site) => {
    const text = String(site);
    const file = site.getFileName();
    if (!file || path.dirname(file) !== dist) return text;
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    let map;
    try {
      map = mapOf(path.basename(file));
    } catch {
      return text;
    }
    // The first line carries Module.wrap's prefix, which the map does not know.
    const entry = map?.findEntry(line - 1, column - 1 - (line === 1 ? wrapperLength : 0));
    if (!entry?.originalSource) return text;
    const source = entry.originalSource.startsWith('file:') ? require('node:url').fileURLToPath(entry.originalSource) : path.resolve(dist, entry.originalSource);
    return text.replace(`${file}:${line}:${column}`, `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`);
  };
  Error.prepareStackTrace = (error, sites) => {
    let head;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = '<error>';
    }
    return sites.length === 0 ? head : `${head}\n    at ${sites.map(frame).join('\n    at ')}`;
  };
}

module.exports = function loadCli(dist, { sourceMaps = false, cache = !process.env.NODE_DISABLE_COMPILE_CACHE } = {}) {
  const chunksFile = path.join(dist, 'cli.chunks');
  const chunks = openChunks(chunksFile);
  if (sourceMaps) mapStacks(dist, `${chunksFile}.map`);
  let codeCache;
  if (cache) {
    const { size, mtimeMs, ino } = fs.fstatSync(chunks.fd);
    const identity = `${size}-${ino}-${Math.round(mtimeMs * 1000)}`;
    const store = path.join(cacheDir(), `${process.version}-${process.arch}`);
    codeCache = openCache(store, path.join(store, `cli.chunks-${identity}`), identity);
  }

  const paths = Module._nodeModulePaths(dist);
  // Chunks by name: each chunk requires the bundler's helpers chunk, and most the shared ones, again and again.
  const modules = new Map();
  const load = (name, parent) => {
    const known = modules.get(name);
    if (known) return known.exports;
    const filename = path.join(dist, name);
    const loaded = Module._cache[filename];
    if (loaded) return loaded.exports;
    if (!chunks.has(name)) throw new Error(`${chunksFile} has no chunk ${name}: reinstall create-istio-wasm (or run npm run build)`);
    const module = new Module(filename, parent);
    module.filename = filename;
    module.paths = paths;
    Module._cache[filename] = module;
    modules.set(name, module);
    try {
      const content = chunks.source(name);
      const cachedData = codeCache?.data(name);
      const script = new vm.Script(Module.wrap(content), { filename, cachedData });
      codeCache?.compiled(name, script, cachedData);
      const require = (id) => (id.startsWith('./') && id.endsWith('.cjs') ? load(id.slice(2), module) : module.require(id));
      require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
      require.main = process.mainModule;
      require.cache = Module._cache;
      script.runInThisContext({ displayErrors: true }).call(module.exports, module.exports, require, module, filename, dist);
    } catch (error) {
      delete Module._cache[filename];
      modules.delete(name);
      throw error;
    }
    module.loaded = true;
    return module.exports;
  };
  return load('cli.cjs', module);
};
