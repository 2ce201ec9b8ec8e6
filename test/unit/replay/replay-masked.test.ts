import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeRecorder, Plugin, maskSecrets } from '../../../src/host/index.js';
import { runReplay } from '../../../src/replay/index.js';
import { replayExchange } from '../../../src/replay/replay-exchange.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { wat } from '../host/fixtures.js';

// A recording written without --trace-secrets has credential-looking values masked; replay compares
// the new run masked the same way, so a token the plugin sets is neither a false change nor printed.
const source = `(module
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "x-auth-token")
  (data (i32.const 120) "fresh-token-value")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 4096))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
    (drop (call $add (i32.const 2) (i32.const 100) (i32.const 12) (i32.const 120) (i32.const 17)))
    (i32.const 0)))`;

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('ciw-replay-masked-');
});
afterAll(async () => {
  await tmp?.cleanup();
});

describe('replay of a masked recording', () => {
  it('compares the new run masked as the recording was: unchanged, and no credential in the report', async () => {
    const wasm = path.join(tmp.dir, 'token.wasm');
    const bytes = await wat(source);
    writeFileSync(wasm, bytes);
    // The recording, as serve writes it: one exchange through the plugin, upstream answer included, masked.
    const plugin = await Plugin.load({ module: bytes, name: 'token', trace: true });
    const seed = new ExchangeRecorder(1, [{ name: 'token', rootId: '' }]);
    seed.request([[':method', 'GET'], [':path', '/'], [':authority', 'x'], [':scheme', 'http']]);
    seed.upstreamResponse(200, [[':status', '200'], ['content-type', 'text/plain']]);
    seed.upstreamResponseBody(new TextEncoder().encode('ok'));
    const { trace } = await replayExchange(seed.finish(), [plugin]);
    plugin.close();
    expect(trace.response?.headers).toContainEqual(['x-auth-token', 'fresh-token-value']);
    const file = path.join(tmp.dir, 'masked.jsonl');
    writeFileSync(file, `${JSON.stringify(maskSecrets(trace))}\n`);

    const report = await runReplay(file, { wasm: [wasm] }, tmp.dir, undefined);
    expect(report).toMatchObject({ total: 1, changed: 0 });
    expect(JSON.stringify(report)).not.toContain('fresh-token-value');
  });
});
