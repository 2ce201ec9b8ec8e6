import { HeaderMap, Plugin, serializePairs, deserializePairs, type PluginOptions, type PluginVm } from '../../../src/host/index.js';
import { wat } from './fixtures.js';

/** Loads test/fixtures/wat/probe.wat: every host function re-exported as t_<name>. */
export async function loadProbe(options: Partial<PluginOptions> = {}): Promise<{ plugin: Plugin; vm: PluginVm; logs: Array<{ level: number; message: string; contextId: number }> }> {
  const logs: Array<{ level: number; message: string; contextId: number }> = [];
  const plugin = await Plugin.load({ module: await wat('probe.wat'), logLevel: 'trace', onLog: (e) => logs.push(e), ...options });
  const vm = plugin.vm;
  if (!vm) throw new Error(`probe failed to start: ${plugin.failure?.message}`);
  return { plugin, vm, logs };
}

const enc = new TextEncoder();
const dec = new TextDecoder();
let scratch = 8192;

/** Writes bytes into guest scratch memory; returns [ptr, len]. */
export function put(vm: PluginVm, data: string | Uint8Array): [number, number] {
  const bytes = typeof data === 'string' ? enc.encode(data) : data;
  if (scratch + bytes.byteLength > 60000) scratch = 8192;
  const ptr = scratch;
  vm.mem.write(ptr, bytes);
  scratch += bytes.byteLength + 8;
  return [ptr, bytes.byteLength];
}

export const OUT_PTR = 16;
export const OUT_LEN = 20;
export const OUT_3 = 24;

/** Calls t_<fn> with `ctx` effective. */
export function t(vm: PluginVm, ctx: number, fn: string, ...args: Array<number | bigint>): number {
  return vm.call(`t_${fn}`, ctx, ...(args as number[]));
}

/** Reads what a host function handed over through (OUT_PTR, OUT_LEN). */
export function handed(vm: PluginVm): Uint8Array {
  return vm.mem.read(vm.mem.u32(OUT_PTR), vm.mem.u32(OUT_LEN));
}
export function handedString(vm: PluginVm): string {
  return dec.decode(handed(vm));
}

/** The callbacks recorded by the probe: [code, context id] pairs. */
export function trace(vm: PluginVm): Array<[number, number]> {
  const n = vm.mem.u32(1020);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) out.push([vm.mem.u32(1024 + i * 8), vm.mem.u32(1028 + i * 8)]);
  return out;
}
export function clearTrace(vm: PluginVm): void {
  vm.mem.setU32(1020, 0);
}

export { HeaderMap, serializePairs, deserializePairs };
