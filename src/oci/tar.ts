/**
 * A small ustar writer and reader: enough for image layers and oci-archive files. The writer makes
 * reproducible archives (fixed owner, mode, mtime and no user names), so the same input always
 * gives the same bytes.
 */
export interface TarEntry {
  name: string;
  /** Regular file bytes; absent for a directory. */
  data?: Uint8Array;
  /** Defaults: 0o644 for files, 0o755 for directories. */
  mode?: number;
  /** Seconds since the epoch; defaults to 0. */
  mtime?: number;
}

export interface TarFile {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  data: Uint8Array;
  linkName: string;
}

const block = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function writeString(header: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = encoder.encode(value);
  if (bytes.length > length) throw new Error(`tar field too long: ${value}`);
  header.set(bytes, offset);
}

function writeOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  // length-1 octal digits, then NUL, as GNU tar and Go's archive/tar write them.
  const text = value.toString(8).padStart(length - 1, '0');
  if (text.length > length - 1) throw new Error(`tar number too large: ${value}`);
  writeString(header, offset, length - 1, text);
}

function splitName(name: string): { prefix: string; name: string } {
  if (encoder.encode(name).length <= 100) return { prefix: '', name };
  const cut = name.lastIndexOf('/', 155);
  if (cut <= 0 || encoder.encode(name.slice(cut + 1)).length > 100) throw new Error(`tar entry name too long: ${name}`);
  return { prefix: name.slice(0, cut), name: name.slice(cut + 1) };
}

function shortName(name: string): string {
  const base = name.replace(/\/+$/, '').split('/').pop() ?? 'entry';
  return encoder.encode(base).length <= 90 ? base : base.slice(0, 90);
}

function fitsUstar(name: string): boolean {
  try {
    splitName(name);
    return true;
  } catch {
    return false;
  }
}

/** A pax extended header ('x') carrying a name too long for ustar (what GNU tar and Go write). */
function paxPathEntry(name: string): { header: Uint8Array; data: Uint8Array } {
  const record = (length: number) => `${length} path=${name}\n`;
  let length = encoder.encode(record(0)).length;
  while (encoder.encode(record(length)).length !== length) length = encoder.encode(record(length)).length;
  const data = encoder.encode(record(length));
  const h = header({ name: 'PaxHeaders/entry', data });
  h[156] = 0x78; // 'x'
  writeChecksum(h);
  return { header: h, data };
}

function header(entry: TarEntry): Uint8Array {
  const h = new Uint8Array(block);
  const isDir = entry.data === undefined;
  const parts = splitName(isDir && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name);
  writeString(h, 0, 100, parts.name);
  writeOctal(h, 100, 8, entry.mode ?? (isDir ? 0o755 : 0o644));
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, isDir ? 0 : entry.data!.length);
  writeOctal(h, 136, 12, entry.mtime ?? 0);
  h.fill(0x20, 148, 156);
  h[156] = isDir ? 0x35 : 0x30;
  writeString(h, 257, 6, 'ustar');
  writeString(h, 263, 2, '00');
  writeOctal(h, 329, 8, 0);
  writeOctal(h, 337, 8, 0);
  writeString(h, 345, 155, parts.prefix);
  writeChecksum(h);
  return h;
}

function writeChecksum(h: Uint8Array): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, 148, 7, sum.toString(8).padStart(6, '0') + '\0');
}

/**
 * A tar archive of the entries in order, ending with two zero blocks. A name too long for ustar's
 * 100 + 155 bytes gets a pax extended header before its entry (readTar understands both).
 */
export function createTar(entries: readonly TarEntry[]): Uint8Array {
  const pax = new Map<number, { header: Uint8Array; data: Uint8Array }>();
  entries.forEach((e, i) => {
    const full = e.data === undefined && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    if (!fitsUstar(full)) pax.set(i, paxPathEntry(full));
  });
  let size = 2 * block;
  for (const e of entries) size += block + (e.data ? Math.ceil(e.data.length / block) * block : 0);
  for (const p of pax.values()) size += block + Math.ceil(p.data.length / block) * block;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const [i, e] of entries.entries()) {
    const long = pax.get(i);
    if (long) {
      out.set(long.header, offset);
      out.set(long.data, offset + block);
      offset += block + Math.ceil(long.data.length / block) * block;
      // The ustar name is only a fallback for readers without pax support.
      out.set(header({ ...e, name: shortName(e.name) }), offset);
    } else out.set(header(e), offset);
    offset += block;
    if (e.data) {
      out.set(e.data, offset);
      offset += Math.ceil(e.data.length / block) * block;
    }
  }
  return out;
}

function readString(bytes: Uint8Array, offset: number, length: number): string {
  const slice = bytes.subarray(offset, offset + length);
  const nul = slice.indexOf(0);
  return decoder.decode(nul >= 0 ? slice.subarray(0, nul) : slice);
}

function readNumber(bytes: Uint8Array, offset: number, length: number): number {
  const first = bytes[offset] ?? 0;
  if (first & 0x80) {
    // GNU base-256 encoding for large values.
    let value = 0;
    for (let i = 1; i < length; i++) value = value * 256 + (bytes[offset + i] ?? 0);
    return value;
  }
  const text = readString(bytes, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const text = decoder.decode(data);
  let i = 0;
  while (i < text.length) {
    const space = text.indexOf(' ', i);
    if (space < 0) break;
    const length = parseInt(text.slice(i, space), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = text.slice(space + 1, i + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += length;
  }
  return out;
}

/** Entries of a tar archive (ustar, GNU long names and pax names understood). Throws on a truncated archive. */
export function* readTar(bytes: Uint8Array): Generator<TarFile> {
  let offset = 0;
  let longName: string | undefined;
  let paxName: string | undefined;
  while (offset + block <= bytes.length) {
    const h = bytes.subarray(offset, offset + block);
    if (h.every((b) => b === 0)) return;
    let sum = 0;
    for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
    if (sum !== readNumber(h, 148, 8)) throw new Error(`invalid tar header checksum at offset ${offset}`);
    const size = readNumber(h, 124, 12);
    const type = String.fromCharCode(h[156] ?? 0x30);
    const dataStart = offset + block;
    if (dataStart + size > bytes.length) throw new Error('unexpected end of tar archive');
    const data = bytes.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / block) * block;
    if (type === 'L') {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      paxName = parsePax(data).path;
      continue;
    }
    if (type === 'g') continue;
    const magic = readString(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? readString(h, 345, 155) : '';
    let name = readString(h, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    name = paxName ?? longName ?? name;
    paxName = undefined;
    longName = undefined;
    const kind = type === '0' || type === '\0' || type === '7' ? 'file' : type === '5' ? 'directory' : type === '2' ? 'symlink' : 'other';
    yield { name, type: kind, size, data, linkName: readString(h, 157, 100) };
  }
  throw new Error('unexpected end of tar archive');
}
