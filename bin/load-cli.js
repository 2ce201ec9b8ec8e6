// Loads the CLI: its CommonJS chunks, kept in one file (dist/cli.chunks, written by
// scripts/build/cli-commonjs.mjs), each run when first required.
//
// Why one file: npm extracts a package file by file, and ~150 chunk files and as many source maps
// were most of the time `npx create-istio-wasm` spent installing; a start also opened and read
// each chunk it loaded. Now a start opens one file and reads only the chunks it requires
// (`./name.cjs`, found in the file's table, read at its offset). Other requests (Node's built-ins)
// go to Node's require.
//
// The code cache is kept here, on every Node version, per session: the chunks one command (the
// bins name it: create-istio-wasm, istio-wasm-build, …) loaded in its last runs are compiled as
// one script with V8's cached data for it (openSession), so a start compiles little, and reads and
// deserializes once instead of once per chunk. The data is used only while dist/cli.chunks has the
// size, inode and modification time it was made from (as make and git's index tell a changed file;
// hashing the text needs crypto or zlib, 3-10 ms to load); V8 checks its own version, flags and the
// source's length. A missing or unwritable cache only costs time. NODE_DISABLE_COMPILE_CACHE turns
// it off, as it does Node's.
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

/**
 * Stacks that name the TypeScript sources: each frame in a chunk (`dist/name.cjs:line:column`, or
 * a line of a session's script that `locate` places in a chunk) mapped through that chunk's source
 * map, the rest as V8 writes them.
 */
function mapStacks(dist, mapFile, locate) {
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
    // A chunk's own script carries Module.wrap's prefix on its first line, which the map does not
    // know; in a session's script (dist/session-NAME.cjs) each chunk starts on a line of its own.
    const grouped = locate(file, line);
    const [name, chunkLine, shift] = grouped ? [grouped.name, grouped.line, 0] : [path.basename(file), line, line === 1 ? wrapperLength : 0];
    let map;
    try {
      map = mapOf(name);
    } catch {
      return text;
    }
    const entry = map?.findEntry(chunkLine - 1, column - 1 - shift);
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

/**
 * How a session's script is laid out (below). V8 checks only the length of the source its data was
 * made from, so data from a script laid out otherwise (this file changed, dist/cli.chunks not) must
 * never be used: it is named here and checked.
 */
const layout = 1;

/**
 * The chunks the last runs of one session loaded, compiled as one script: one read, one
 * deserialization of V8's code cache, one run, where each chunk on its own costs all three
 * (~3 ms of a scaffold's 34 chunks). Its file in the cache: a header of { identity, layout,
 * chunks, hot, ran } after its 4-byte length, then V8's data. A run that loads chunks the script
 * lacks writes the longer list without data (at exit V8 could give data for a script that ran none of its
 * functions); the next run compiles that script from source and writes its data after running
 * ("hot", with the chunks that ran); later runs use it as it is, unless they run chunks that had
 * not run (a rarer path of the command), whose code the data is then written again with. So a
 * first run, compiling from source, writes only a list (serializing each chunk's code at exit
 * cost a first scaffold ~12 ms).
 */
function openSession(file, filename, identity, chunks) {
  let record;
  try {
    const bytes = fs.readFileSync(file);
    const headerLength = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.toString('utf8', 4, 4 + headerLength));
    if (header.identity === identity && header.layout === layout && Array.isArray(header.chunks) && header.chunks.every((n) => chunks.has(n))) {
      record = { chunks: header.chunks, data: header.hot ? bytes.subarray(4 + headerLength) : undefined, ran: new Set(header.hot && Array.isArray(header.ran) ? header.ran : []) };
    }
  } catch {
    // none yet, or unreadable: written anew at exit
  }
  let script;
  let functions;
  const starts = [];
  if (record) {
    // `[`, then per chunk: the wrapper's line, the chunk's lines, `},`; then `]`.
    const parts = ['[\n'];
    let line = 2;
    for (const name of record.chunks) {
      let source = chunks.source(name);
      if (!source.endsWith('\n')) source += '\n';
      parts.push('function (exports, require, module, __filename, __dirname) {\n', source, '},\n');
      starts.push([line + 1, name]);
      for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) line++;
      line += 2;
    }
    parts.push(']\n');
    script = new vm.Script(parts.join(''), { filename, cachedData: record.data });
    const list = script.runInThisContext({ displayErrors: true });
    functions = new Map(record.chunks.map((name, i) => [name, list[i]]));
  }
  return {
    filename,
    function: (name) => functions?.get(name),
    /** The chunk and its line, for a line of this script. */
    locate(line) {
      let found;
      for (const start of starts) if (start[0] <= line) found = start;
      return found && { name: found[1], line: line - found[0] + 1 };
    },
    /**
     * At exit: the list with the chunks this run added; else the data of a script that had none,
     * or whose data came from runs that ran fewer of its chunks (so holds less of their code).
     */
    save(loaded) {
      const known = new Set(record?.chunks ?? []);
      const added = loaded.filter((n) => !known.has(n));
      const ran = loaded.filter((n) => known.has(n));
      let header;
      let data = Buffer.alloc(0);
      if (added.length > 0) header = { identity, layout, chunks: [...(record?.chunks ?? []), ...added], hot: false };
      else if (record && (record.data === undefined || script.cachedDataRejected)) {
        header = { identity, layout, chunks: record.chunks, hot: true, ran };
        data = script.createCachedData();
      } else if (record && ran.some((n) => !record.ran.has(n))) {
        header = { identity, layout, chunks: record.chunks, hot: true, ran: [...record.ran, ...ran.filter((n) => !record.ran.has(n))] };
        data = script.createCachedData();
      } else return false;
      const headerBytes = Buffer.from(JSON.stringify(header));
      const length = Buffer.alloc(4);
      length.writeUInt32LE(headerBytes.length, 0);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}`;
      fs.writeFileSync(temp, Buffer.concat([length, headerBytes, data]));
      fs.renameSync(temp, file);
      return true;
    },
  };
}

module.exports = function loadCli(dist, { sourceMaps = false, cache = !process.env.NODE_DISABLE_COMPILE_CACHE, session } = {}) {
  const chunksFile = path.join(dist, 'cli.chunks');
  const chunks = openChunks(chunksFile);
  let group;
  let order;
  if (sourceMaps) mapStacks(dist, `${chunksFile}.map`, (file, line) => (file === group?.filename ? group.locate(line) : undefined));
  // A session is named by the bins (its name a word of letters, digits and dashes).
  if (cache && session !== undefined && /^[a-z][a-z0-9-]{0,60}$/.test(session)) {
    const { size, mtimeMs, ino } = fs.fstatSync(chunks.fd);
    const identity = `${size}-${ino}-${Math.round(mtimeMs * 1000)}`;
    const store = path.join(cacheDir(), `${process.version}-${process.arch}`);
    try {
      group = openSession(path.join(store, `cli.chunks-${identity}-${session}`), path.join(dist, `session-${session}.cjs`), identity, chunks);
    } catch {
      // each chunk on its own, as without a cache
    }
    if (group) {
      const loadedThisRun = [];
      order = loadedThisRun;
      process.once('exit', () => {
        try {
          if (group.save(loadedThisRun)) prune(store);
        } catch {
          // no cache this time
        }
      });
    }
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
    order?.push(name);
    try {
      const run = group?.function(name) ?? new vm.Script(Module.wrap(chunks.source(name)), { filename }).runInThisContext({ displayErrors: true });
      const require = (id) => (id.startsWith('./') && id.endsWith('.cjs') ? load(id.slice(2), module) : module.require(id));
      require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
      require.main = process.mainModule;
      require.cache = Module._cache;
      run.call(module.exports, module.exports, require, module, filename, dist);
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
