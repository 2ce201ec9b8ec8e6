/**
 * A small reader of the WebAssembly binary format: enough to list imports, exports and memories
 * without instantiating anything (so it also works on modules that would not link).
 */
export type ExternalKind = 'function' | 'table' | 'memory' | 'global' | 'tag';

export interface WasmLimits {
  min: number;
  max?: number;
  shared: boolean;
  /** 64-bit (memory64) limits. */
  wide: boolean;
}

export interface WasmImport {
  module: string;
  name: string;
  kind: ExternalKind;
  /** An imported memory's or table's limits. */
  limits?: WasmLimits;
  /** An imported table's element type. */
  element?: 'anyfunc' | 'externref';
}

export interface WasmExport {
  name: string;
  kind: ExternalKind;
}

export interface ParsedModule {
  imports: WasmImport[];
  exports: WasmExport[];
  /** Memories defined by the module itself (imported ones are in imports). */
  memories: number;
  customSections: string[];
  startFunction: boolean;
}

export class WasmParseError extends Error {}

const kinds: ExternalKind[] = ['function', 'table', 'memory', 'global', 'tag'];
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function isWasm(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x00 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
}

/** Reads bytes, LEB128 integers and names of a module, with clear errors at the end of the input. */
export class WasmReader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array, private readonly end = bytes.length) {}

  byte(): number {
    if (this.offset >= this.end) throw new WasmParseError(`unexpected end of module at byte ${this.offset}`);
    return this.bytes[this.offset++] as number;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    throw new WasmParseError(`malformed LEB128 integer at byte ${this.offset}`);
  }

  name(): string {
    const length = this.u32();
    if (this.offset + length > this.end) throw new WasmParseError(`name runs past the end of its section at byte ${this.offset}`);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    try {
      return textDecoder.decode(slice);
    } catch {
      throw new WasmParseError(`name at byte ${this.offset - length} is not UTF-8`);
    }
  }

  limits(): WasmLimits {
    const flags = this.byte();
    const min = this.u32();
    const limits: WasmLimits = { min, shared: (flags & 0x02) !== 0, wide: (flags & 0x04) !== 0 };
    if (flags & 0x01) limits.max = this.u32();
    return limits;
  }
}

/** One section of a module (or one subsection of a name section): its id and where its payload lies. */
export interface WasmSection {
  id: number;
  /** The offset of the section's id byte. */
  at: number;
  /** The payload: [start, end). */
  start: number;
  end: number;
}

/**
 * The sections from `from` on: the module's own (from 8, after the header) or a name section's
 * subsections (from 0), which share the id + size layout. Throws WasmParseError on a truncated one.
 */
export function* sections(bytes: Uint8Array, from = 8): Generator<WasmSection> {
  const r = new WasmReader(bytes);
  r.offset = from;
  while (r.offset < bytes.length) {
    const at = r.offset;
    const id = r.byte();
    const size = r.u32();
    const start = r.offset;
    const end = start + size;
    if (end > bytes.length) throw new WasmParseError(`section ${id} at byte ${start} runs past the end of the module (truncated file?)`);
    yield { id, at, start, end };
    r.offset = end;
  }
}

export function parseModule(bytes: Uint8Array): ParsedModule {
  if (!isWasm(bytes)) throw new WasmParseError('not a WebAssembly module (it does not start with \\0asm)');
  const version = new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getUint32(0, true);
  if (version !== 1) throw new WasmParseError(`unsupported WebAssembly binary version ${version} (expected 1)`);
  const out: ParsedModule = { imports: [], exports: [], memories: 0, customSections: [], startFunction: false };
  for (const { id, start, end } of sections(bytes)) {
    const r = new WasmReader(bytes, end);
    r.offset = start;
    switch (id) {
      case 0:
        out.customSections.push(r.name());
        break;
      case 2: {
        const count = r.u32();
        for (let i = 0; i < count; i++) {
          const module = r.name();
          const name = r.name();
          const kindByte = r.byte();
          const kind = kinds[kindByte];
          if (!kind) throw new WasmParseError(`unknown import kind ${kindByte}`);
          const entry: WasmImport = { module, name, kind };
          if (kindByte === 0) r.u32();
          else if (kindByte === 1) {
            entry.element = r.byte() === 0x6f ? 'externref' : 'anyfunc';
            entry.limits = r.limits();
          } else if (kindByte === 2) entry.limits = r.limits();
          else if (kindByte === 3) { r.byte(); r.byte(); }
          else { r.byte(); r.u32(); }
          out.imports.push(entry);
        }
        break;
      }
      case 5:
        out.memories = r.u32();
        break;
      case 7: {
        const count = r.u32();
        for (let i = 0; i < count; i++) {
          const name = r.name();
          const kindByte = r.byte();
          const kind = kinds[kindByte];
          if (!kind) throw new WasmParseError(`unknown export kind ${kindByte}`);
          r.u32();
          out.exports.push({ name, kind });
        }
        break;
      }
      case 8:
        out.startFunction = true;
        break;
      default:
        break;
    }
  }
  return out;
}
