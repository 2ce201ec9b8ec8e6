import { describe, expect, it } from 'vitest';
import { loadPlugin } from '../../../src/testing/index.js';
import { wat } from '../host/fixtures.js';

// What a trace keeps of gRPC callouts, so that replay can answer them: a unary call's status,
// message, every message and metadata; a stream's messages the plugin sent and what the far end sent,
// each with how many messages the plugin had sent by then.
describe('gRPC callouts in a trace', () => {
  it('records a unary call with its status message and every message', async () => {
    const plugin = await loadPlugin(await wat('grpc-check.wat'), {
      grpcClusters: { authz: (call) => ({ status: 7, statusMessage: 'not allowed', messages: ['one', `two ${new TextDecoder().decode(call.message)}`], initialMetadata: { 'x-md': '1' }, trailingMetadata: { 'x-t': '2' } }) },
    });
    const exchange = await plugin.request({ path: '/no' });
    expect(exchange.response?.status).toBe(403);
    const callout = exchange.trace?.plugins[0]?.callouts[0];
    expect(callout).toMatchObject({
      kind: 'grpc',
      cluster: 'authz',
      request: { service: 'authz.Checker', method: 'Check', body: { size: 3, text: '/no' } },
      response: { headers: [['x-md', '1']], trailers: [['x-t', '2']], status: 7, statusMessage: 'not allowed', body: { size: 3, text: 'one' }, messages: [{ size: 3, text: 'one' }, { size: 7, text: 'two /no' }] },
    });
    expect(exchange.traceText()).toContain('\n  configuration: (empty)\n');
    expect(exchange.traceText()).toMatch(/\n {2}callout grpc #\d+ to authz authz.Checker\/Check: 7 \(not allowed\)$/);
  });

  it('records a stream: messages sent, and each event with the count sent before it', async () => {
    let responded: Promise<void> | undefined;
    const plugin = await loadPlugin(await wat('grpc-check.wat'), {
      grpcStreams: {
        // The handler runs as the stream opens; the far end answers once the plugin sent both messages.
        authz: (stream) => {
          responded = new Promise((resolve) => setTimeout(resolve, 0)).then(() => {
            expect(stream.textMessages).toEqual(['/stream', 'more']);
            return stream.respond({ initialMetadata: { 'x-md': 'a' }, messages: ['seen', 'allow'], trailingMetadata: { 'x-t': 'b' }, status: 0 });
          });
        },
      },
    });
    const exchange = await plugin.request({ path: '/stream' });
    await responded;
    await exchange.settled();
    expect(exchange.state).toBe('upstream');
    expect(exchange.upstream?.headers['x-verdict']).toBe('allow');
    const callout = exchange.trace?.plugins[0]?.callouts[0];
    expect(callout).toMatchObject({ kind: 'grpc-stream', sent: 2, request: { service: 'authz.Checker', method: 'Watch' }, response: { status: 0, headers: [] } });
    expect(exchange.traceText()).toMatch(/callout grpc-stream #\d+ to authz authz.Checker\/Watch: 0; sent 2, received 2$/);
    expect(callout?.events?.map(({ t: _t, ...e }) => e)).toEqual([
      { sent: 2, initialMetadata: [['x-md', 'a']] },
      { sent: 2, message: { size: 4, text: 'seen' } },
      { sent: 2, message: { size: 5, text: 'allow' } },
      { sent: 2, trailingMetadata: [['x-t', 'b']] },
    ]);
  });
});
