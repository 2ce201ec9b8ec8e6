import { describe, expect, it } from 'vitest';
import { capModuleMemory } from '../../../src/host/memory-limit.js';

const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
// A memory section (id 5) with one memory: flags, min[, max].
const withMemory = (...memory: number[]) => new Uint8Array([...header, 5, memory.length + 1, 1, ...memory]);

describe("Envoy's 1 GiB memory ceiling written into a module", () => {
  it('caps a memory without a maximum, and a larger maximum, at 16384 pages; keeps a smaller one', () => {
    expect([...capModuleMemory(withMemory(0x00, 1))]).toEqual([...header, 5, 6, 1, 0x01, 1, 0x80, 0x80, 0x01]);
    expect([...capModuleMemory(withMemory(0x01, 1, 0x80, 0x80, 0x04))]).toEqual([...header, 5, 6, 1, 0x01, 1, 0x80, 0x80, 0x01]);
    expect([...capModuleMemory(withMemory(0x01, 1, 2))]).toEqual([...header, 5, 4, 1, 0x01, 1, 2]);
  });

  it('refuses a memory that starts above the ceiling', () => {
    expect(() => capModuleMemory(withMemory(0x00, 0x81, 0x80, 0x01))).toThrow(/starts at 16385 pages/);
  });

  it('hands back what it cannot read unchanged, for WebAssembly.compile to report (not as a memory limit)', () => {
    const truncated = new Uint8Array([...header, 5, 9, 1, 0x00]);
    expect(capModuleMemory(truncated)).toBe(truncated);
    const badLeb = new Uint8Array([...header, 5, 7, 1, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(capModuleMemory(badLeb)).toBe(badLeb);
  });
});
