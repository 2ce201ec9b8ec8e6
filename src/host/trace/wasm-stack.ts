import { WasmReader, sections } from '../../wasm/parse.js';
import type { TraceFrame } from './format.js';

/**
 * Function names from a module's name section (subsection 1), by function index. Empty when the
 * module has none (a stripped build) or the section is malformed.
 */
export function functionNames(module: WebAssembly.Module): Map<number, string> {
  const names = new Map<number, string>();
  for (const section of WebAssembly.Module.customSections(module, 'name')) {
    const bytes = new Uint8Array(section);
    try {
      for (const sub of sections(bytes, 0)) {
        if (sub.id !== 1) continue;
        const r = new WasmReader(bytes, sub.end);
        r.offset = sub.start;
        const count = r.u32();
        for (let i = 0; i < count && r.offset < sub.end; i++) {
          const index = r.u32();
          names.set(index, r.name());
        }
      }
    } catch {
      /* keep what was read */
    }
  }
  return names;
}

/** Where each function's body lies in the module (code section), to tell a code offset's function. */
export interface CodeMap {
  /** [start, end, function index] of each body, in order. */
  bodies: Array<[number, number, number]>;
}

/** Reads the code section's body offsets; undefined when the bytes cannot be read as a module. */
export function codeMap(bytes: Uint8Array, importedFunctions: number): CodeMap | undefined {
  try {
    for (const section of sections(bytes)) {
      if (section.id !== 10) continue;
      const r = new WasmReader(bytes, section.end);
      r.offset = section.start;
      const count = r.u32();
      const bodies: CodeMap['bodies'] = [];
      for (let i = 0; i < count; i++) {
        const length = r.u32();
        bodies.push([r.offset, r.offset + length, importedFunctions + i]);
        r.offset += length;
      }
      return { bodies };
    }
  } catch {
    /* not readable as a module: no offsets */
  }
  return undefined;
}

const anonymous = /^(?:null\.)?<anonymous>$|^Object\.<anonymous>$/;

/**
 * The Wasm frames of a trap, innermost first, from V8's stack text — "at name
 * (wasm://wasm/<hash>:wasm-function[12]:0x3f1)", or "at name (wasm://wasm/<hash>:1:1010)" when source
 * positions are on — with function indexes from the code section and names from the name section.
 */
export function wasmFrames(error: unknown, names: Map<number, string> | undefined, code?: CodeMap): TraceFrame[] {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const frames: TraceFrame[] = [];
  for (const line of stack.split('\n')) {
    if (!line.includes('wasm://') && !line.includes('wasm-function[')) continue;
    let index: number | undefined;
    let offset: number | undefined;
    const classic = /wasm-function\[(\d+)\](?::0x([0-9a-f]+))?/i.exec(line);
    if (classic) {
      index = Number(classic[1]);
      if (classic[2]) offset = parseInt(classic[2], 16);
    } else {
      const positioned = /wasm:\/\/wasm\/[^:)\s]*:\d+:(\d+)/.exec(line);
      if (!positioned) continue;
      offset = Number(positioned[1]) - 1;
      index = code?.bodies.find(([start, end]) => (offset as number) >= start && (offset as number) < end)?.[2];
    }
    const v8Name = /^\s*at\s+(?:\$)?(\S+)\s+\(wasm:/.exec(line)?.[1];
    const named = (index !== undefined ? names?.get(index) : undefined) ?? (v8Name && !anonymous.test(v8Name) ? v8Name : undefined);
    const frame: TraceFrame = {};
    if (index !== undefined) frame.index = index;
    if (named) frame.name = named;
    if (offset !== undefined) frame.offset = offset;
    frames.push(frame);
  }
  return frames;
}

/** "  at 0: name (0x3f1)" lines for readable output. */
export function formatFrames(frames: TraceFrame[]): string[] {
  return frames.map((f) => `  at ${f.name ?? `wasm-function[${f.index ?? '?'}]`}${f.offset !== undefined ? ` (0x${f.offset.toString(16)})` : ''}`);
}
