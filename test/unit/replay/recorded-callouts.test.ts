import { describe, expect, it } from 'vitest';
import type { GrpcStreamSink, TraceCallout } from '../../../src/host/index.js';
import { RecordedCallouts } from '../../../src/replay/index.js';

// Replay answers a plugin's callouts from the recording: by kind and target, in order; a call the
// recording has no answer for fails as an unreachable cluster would and is listed as unanswered.
const text = (s: string) => ({ size: Buffer.byteLength(s), text: s });
const dec = new TextDecoder();
const signal = () => new AbortController().signal;

function http(cluster: string, path: string, status: string | undefined, body = ''): TraceCallout {
  return {
    kind: 'http',
    token: 1,
    cluster,
    t: 0,
    request: { headers: [[':method', 'GET'], [':path', path], [':authority', 'x']], body: { size: 0 } },
    ...(status === undefined ? {} : status === 'failed' ? { response: { headers: [], body: { size: 0 }, failed: true } } : { response: { headers: [[':status', status]], body: text(body) } }),
  };
}

function grpcCall(method: string, response: TraceCallout['response']): TraceCallout {
  return { kind: 'grpc', token: 2, cluster: 'authz', t: 0, request: { headers: [], body: text('/x'), service: 'authz.Checker', method }, ...(response ? { response } : {}) };
}

const plugin = (callouts: TraceCallout[]) => ({ callouts, callbacks: [] });
const request = (cluster: string, path: string) => ({ token: 9, cluster, headers: [[':method', 'GET'], [':path', path], [':authority', 'x']] as Array<[string, string]>, body: new Uint8Array(0), trailers: [], timeoutMs: 1000 });
const grpcRequest = (method: string) => ({ token: 9, cluster: 'authz', service: 'authz.Checker', method, initialMetadata: [], message: new Uint8Array(0), timeoutMs: 1000 });

describe('RecordedCallouts', () => {
  it('answers HTTP calls by cluster in recorded order; a recorded failure fails again and is used up', async () => {
    const r = new RecordedCallouts();
    r.reset(plugin([http('a', '/1', 'failed'), http('b', '/b', '201', 'bee'), http('a', '/2', '200', 'second')]));
    expect(await r.dispatch(request('a', '/1'), signal())).toEqual({ headers: [] });
    const second = await r.dispatch(request('a', '/2'), signal());
    expect(second.headers).toEqual([[':status', '200']]);
    expect(dec.decode(second.body)).toBe('second');
    expect(dec.decode((await r.dispatch(request('b', '/b'), signal())).body)).toBe('bee');
    expect(r.unanswered).toEqual([]);
    // A fourth call to a: the recording has none left.
    expect(await r.dispatch(request('a', '/3'), signal())).toEqual({ headers: [] });
    expect(r.unanswered).toEqual(['http a GET /3']);
    r.reset(plugin([]));
    expect(r.unanswered).toEqual([]);
  });

  it('refuses a cluster the host refused while recording (BAD_ARGUMENT), unless the recording called it too', () => {
    const r = new RecordedCallouts();
    const refused = { callback: 'proxy_on_request_headers', contextId: 2, args: [1, 1], t: 0, ms: 0, memoryPages: 1, calls: [{ call: 'proxy_grpc_call', t: 0, status: 'BAD_ARGUMENT', cluster: 'nowhere', service: 's', method: 'm' }] };
    r.reset({ callouts: [], callbacks: [refused] });
    expect(r.knows('nowhere')).toBe(false);
    expect(r.knows('anything-else')).toBe(true);
    r.reset({ callouts: [http('nowhere', '/', '200')], callbacks: [refused] });
    expect(r.knows('nowhere')).toBe(true);
    r.reset(undefined);
    expect(r.knows('nowhere')).toBe(true);
  });

  it('leaves a call the recording never saw answered unanswered until the plugin cancels it', async () => {
    const r = new RecordedCallouts();
    r.reset(plugin([http('a', '/1', undefined)]));
    const controller = new AbortController();
    let settled = false;
    const answer = r.dispatch(request('a', '/1'), controller.signal).then((x) => ((settled = true), x));
    await new Promise((res) => setTimeout(res, 20));
    expect(settled).toBe(false);
    controller.abort();
    expect(await answer).toEqual({ headers: [] });
  });

  it('answers unary gRPC calls by cluster, service and method with the recorded status, metadata and messages', async () => {
    const r = new RecordedCallouts();
    r.reset(plugin([
      grpcCall('Check', { headers: [['x-md', '1']], body: text('allow'), trailers: [['x-t', '2']], status: 0 }),
      grpcCall('Check', { headers: [], body: text('one'), messages: [text('one'), text('two')], status: 7, statusMessage: 'no way' }),
      grpcCall('Other', { headers: [], body: { size: 0 }, messages: [], status: 14, statusMessage: 'upstream unavailable' }),
    ]));
    const first = await r.grpc(grpcRequest('Check'), signal());
    expect(first).toMatchObject({ status: 0, initialMetadata: [['x-md', '1']], trailingMetadata: [['x-t', '2']] });
    expect(first.messages?.map((m) => dec.decode(m))).toEqual(['allow']);
    const second = await r.grpc(grpcRequest('Check'), signal());
    expect(second).toMatchObject({ status: 7, statusMessage: 'no way' });
    expect(second.messages?.map((m) => dec.decode(m))).toEqual(['one', 'two']);
    expect(await r.grpc(grpcRequest('Other'), signal())).toMatchObject({ status: 14, statusMessage: 'upstream unavailable', messages: [] });
    // Same cluster, another method: not the recorded call.
    expect(await r.grpc(grpcRequest('Verify'), signal())).toMatchObject({ status: 14, statusMessage: 'replay: the recording has no answer for this call' });
    expect(r.unanswered).toEqual(['grpc authz authz.Checker/Verify']);
  });

  it('replays a gRPC stream: each event once the plugin sent as many messages as when it arrived, then the close', async () => {
    const r = new RecordedCallouts();
    r.reset(plugin([
      {
        kind: 'grpc-stream',
        token: 3,
        cluster: 'authz',
        t: 0,
        request: { headers: [], body: { size: 0 }, service: 'authz.Checker', method: 'Watch' },
        sent: 2,
        events: [
          { t: 1, sent: 0, initialMetadata: [['x-md', 'a']] },
          { t: 2, sent: 1, message: text('first') },
          { t: 3, sent: 2, message: text('second') },
          { t: 4, sent: 2, trailingMetadata: [['x-t', 'b']] },
        ],
        response: { headers: [], body: { size: 0 }, status: 0 },
      },
    ]));
    const seen: string[] = [];
    const sink: GrpcStreamSink = {
      initialMetadata: (md) => seen.push(`initial ${md.map((p) => p.join('=')).join()}`),
      message: (m) => seen.push(`message ${dec.decode(m)}`),
      trailingMetadata: (md) => seen.push(`trailing ${md.map((p) => p.join('=')).join()}`),
      close: (status, message) => seen.push(`close ${status}${message ? ` ${message}` : ''}`),
    };
    const tick = () => new Promise((res) => setTimeout(res, 0));
    const connection = r.grpcStream({ token: 1, cluster: 'authz', service: 'authz.Checker', method: 'Watch', initialMetadata: [] }, sink);
    await tick();
    expect(seen).toEqual(['initial x-md=a']);
    connection.send(new Uint8Array(1), false);
    await tick();
    expect(seen).toEqual(['initial x-md=a', 'message first']);
    connection.send(new Uint8Array(1), true);
    await tick();
    expect(seen).toEqual(['initial x-md=a', 'message first', 'message second', 'trailing x-t=b', 'close 0']);

    // A stream the recording does not have closes UNAVAILABLE and is listed.
    const other: string[] = [];
    r.grpcStream({ token: 2, cluster: 'authz', service: 'authz.Checker', method: 'Watch', initialMetadata: [] }, { ...sink, close: (s, m) => other.push(`close ${s} ${m}`) });
    await tick();
    expect(other).toEqual(['close 14 replay: the recording has no answer for this call']);
    expect(r.unanswered).toEqual(['grpc-stream authz authz.Checker/Watch']);
  });

  it('a half-close releases what the recording had after more sends than the new build makes', async () => {
    const r = new RecordedCallouts();
    r.reset(plugin([{ kind: 'grpc-stream', token: 3, cluster: 'authz', t: 0, request: { headers: [], body: { size: 0 }, service: 's', method: 'm' }, sent: 3, events: [{ t: 1, sent: 3, message: text('late') }], response: { headers: [], body: { size: 0 }, status: 0 } }]));
    const seen: string[] = [];
    const connection = r.grpcStream({ token: 1, cluster: 'authz', service: 's', method: 'm', initialMetadata: [] }, { initialMetadata: () => {}, message: (m) => seen.push(dec.decode(m)), trailingMetadata: () => {}, close: (s) => seen.push(`close ${s}`) });
    connection.send(new Uint8Array(1), false);
    await new Promise((res) => setTimeout(res, 0));
    expect(seen).toEqual([]);
    connection.close();
    await new Promise((res) => setTimeout(res, 0));
    expect(seen).toEqual(['late', 'close 0']);
  });
});
