import { describe, expect, it } from 'vitest';
import { GuestMemory, MemoryAccessError } from '../../../src/host/index.js';

function memory(): { mem: GuestMemory; bytes: Uint8Array } {
  const wasm = new WebAssembly.Memory({ initial: 1 });
  let next = 1024;
  const mem = new GuestMemory(wasm, (size) => {
    const p = next;
    next += size;
    return p;
  });
  return { mem, bytes: new Uint8Array(wasm.buffer) };
}

const put = (bytes: Uint8Array, at: number, text: string) => bytes.set(new TextEncoder().encode(text), at);

describe('GuestMemory remembering the strings of one host call', () => {
  it('gives a string read or handed over again while remembering, and reads memory afresh after', () => {
    const { mem, bytes } = memory();
    put(bytes, 16, 'x-key');
    mem.remember(true);
    expect(mem.readString(16, 5)).toBe('x-key');
    put(bytes, 16, 'other'); // the guest does not run during a host call: this only shows which read answered
    expect(mem.readString(16, 5)).toBe('x-key');
    mem.handOverString('value', 64, 68);
    const ptr = mem.u32(64);
    expect(mem.readString(ptr, mem.u32(68))).toBe('value');
    mem.remember(false);
    expect(mem.readString(16, 5)).toBe('other');
  });

  it('keeps a remembered string apart from a read of another length at the same place', () => {
    const { mem, bytes } = memory();
    put(bytes, 16, 'authorization');
    mem.remember(true);
    expect(mem.readString(16, 4)).toBe('auth');
    expect(mem.readString(16, 13)).toBe('authorization');
    expect(mem.readString(16, 4)).toBe('auth');
    mem.remember(false);
  });

  it('still checks bounds and decodes UTF-8 while remembering', () => {
    const { mem, bytes } = memory();
    put(bytes, 16, 'grüße');
    mem.remember(true);
    expect(mem.readString(16, 7)).toBe('grüße');
    expect(() => mem.readString(65530, 10)).toThrow(MemoryAccessError);
    // More strings than it keeps: every read still answers right.
    for (let i = 0; i < 8; i++) put(bytes, 200 + i * 8, `k${i}`);
    for (let i = 0; i < 8; i++) expect(mem.readString(200 + i * 8, 2)).toBe(`k${i}`);
    mem.remember(false);
  });
});
