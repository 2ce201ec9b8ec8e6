import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Status, deserializePairs, serializePairs, urlClusters, type PluginVm } from '../../../src/host/index.js';
import { loadPlugin, type LoadPluginOptions } from '../../../src/testing/index.js';
import { wat } from './fixtures.js';
import { put, t } from './probe.js';

// proxy_grpc_stream / _send / _cancel / _close against a hand-made module, answered from the test API.
// The module records every gRPC callback at 1024 (count at 1020) as five i32s: kind (1 initial
// metadata, 2 message, 3 trailing metadata, 4 close), token, the callback's last argument, and the
// pointer and length of what it read (metadata pairs, message bytes, or the status message).
// With the i32 at 1016 set, it echoes each message back on the stream from inside its callback.
const streamWat = `(module
  (import "env" "proxy_grpc_stream" (func $stream (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_send" (func $send (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_cancel" (func $cancel (param i32) (result i32)))
  (import "env" "proxy_grpc_close" (func $close (param i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $buf (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_status" (func $status (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (local i32)
    (local.set 1 (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (i32.add (local.get 0) (i32.const 8))))
    (local.get 1))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func $rec (param $kind i32) (param $token i32) (param $arg i32) (local $at i32)
    (local.set $at (i32.add (i32.const 1024) (i32.mul (i32.load (i32.const 1020)) (i32.const 20))))
    (i32.store (local.get $at) (local.get $kind))
    (i32.store offset=4 (local.get $at) (local.get $token))
    (i32.store offset=8 (local.get $at) (local.get $arg))
    (i32.store offset=12 (local.get $at) (i32.load (i32.const 16)))
    (i32.store offset=16 (local.get $at) (i32.load (i32.const 20)))
    (i32.store (i32.const 1020) (i32.add (i32.load (i32.const 1020)) (i32.const 1))))
  (func (export "proxy_on_grpc_receive_initial_metadata") (param i32 i32 i32)
    (drop (call $pairs (i32.const 4) (i32.const 16) (i32.const 20)))
    (call $rec (i32.const 1) (local.get 1) (local.get 2)))
  (func (export "proxy_on_grpc_receive") (param i32 i32 i32)
    (drop (call $buf (i32.const 5) (i32.const 0) (local.get 2) (i32.const 16) (i32.const 20)))
    (call $rec (i32.const 2) (local.get 1) (local.get 2))
    (if (i32.load (i32.const 1016))
      (then (drop (call $send (local.get 1) (i32.load (i32.const 16)) (i32.load (i32.const 20)) (i32.const 0))))))
  (func (export "proxy_on_grpc_receive_trailing_metadata") (param i32 i32 i32)
    (drop (call $pairs (i32.const 5) (i32.const 16) (i32.const 20)))
    (call $rec (i32.const 3) (local.get 1) (local.get 2)))
  (func (export "proxy_on_grpc_close") (param i32 i32 i32)
    (drop (call $status (i32.const 24) (i32.const 16) (i32.const 20)))
    (call $rec (i32.const 4) (local.get 1) (local.get 2)))
  (func (export "t_stream") (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (call $stream (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6) (local.get 7) (local.get 8)))
  (func (export "t_send") (param i32 i32 i32 i32) (result i32) (call $send (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "t_cancel") (param i32) (result i32) (call $cancel (local.get 0)))
  (func (export "t_close") (param i32) (result i32) (call $close (local.get 0))))`;

const cluster = 'outbound|9000||stream.default.svc.cluster.local';
const dec = new TextDecoder();

type Event = { kind: 'initial' | 'message' | 'trailing' | 'close'; token: number; arg: number; data: Uint8Array };
const kinds = ['', 'initial', 'message', 'trailing', 'close'] as const;

function events(vm: PluginVm): Event[] {
  const out: Event[] = [];
  for (let i = 0; i < vm.mem.u32(1020); i++) {
    const at = 1024 + i * 20;
    out.push({ kind: kinds[vm.mem.u32(at)] as Event['kind'], token: vm.mem.u32(at + 4), arg: vm.mem.u32(at + 8), data: vm.mem.read(vm.mem.u32(at + 12), vm.mem.u32(at + 16)) });
  }
  return out;
}

/** The plugin opens a stream (root context) to `to`; returns the status and the token. */
function open(vm: PluginVm, to = cluster): { status: number; token: number } {
  const [c, cl] = put(vm, to);
  const [s, sl] = put(vm, 'pkg.Chat');
  const [m, ml] = put(vm, 'Talk');
  const [h, hl] = put(vm, serializePairs([['x-req', 'a']]));
  const status = t(vm, 1, 'stream', c, cl, s, sl, m, ml, h, hl, 24);
  return { status, token: vm.mem.u32(24) };
}

function send(vm: PluginVm, token: number, text: string, endOfStream = false): number {
  const [p, l] = put(vm, text);
  return t(vm, 1, 'send', token, p, l, endOfStream ? 1 : 0);
}

async function load(options: LoadPluginOptions = {}) {
  const plugin = await loadPlugin(await wat(streamWat), options);
  const vm = plugin.host.vm;
  if (!vm) throw new Error(`module failed: ${plugin.failure?.message}`);
  return { plugin, vm };
}

describe('gRPC streams (proxy_grpc_stream, _send, _close, _cancel)', () => {
  it('opens a stream, sends messages, and delivers initial metadata, messages, trailing metadata and close', async () => {
    const { plugin, vm } = await load({ grpcStreams: { [cluster]: null } });
    expect(open(vm, 'outbound|1||unknown').status).toBe(Status.BAD_ARGUMENT);
    const { status, token } = open(vm);
    expect(status).toBe(Status.OK);
    expect(token).toBeGreaterThan(0);
    expect(vm.openGrpcStreams).toBe(1);
    const stream = plugin.grpcStreams[0]!;
    expect(stream).toMatchObject({ cluster, service: 'pkg.Chat', method: 'Talk', metadata: { 'x-req': 'a' } });

    expect(send(vm, token, 'hello')).toBe(Status.OK);
    expect(send(vm, token, 'again')).toBe(Status.OK);
    expect(stream.textMessages).toEqual(['hello', 'again']);
    expect(stream.closedByPlugin).toBe(false);

    await stream.sendInitialMetadata({ 'x-md': '1' });
    await stream.sendMessage('m1');
    await stream.sendMessage('m2');
    await stream.sendTrailingMetadata({ 'x-tr': '2' });
    await stream.close(7, 'denied');
    const seen = events(vm);
    expect(seen.map((e) => [e.kind, e.token, e.arg])).toEqual([
      ['initial', token, 1],
      ['message', token, 2],
      ['message', token, 2],
      ['trailing', token, 1],
      ['close', token, 7],
    ]);
    expect(deserializePairs(seen[0]!.data)).toEqual([['x-md', '1']]);
    expect(seen.slice(1, 3).map((e) => dec.decode(e.data))).toEqual(['m1', 'm2']);
    expect(deserializePairs(seen[3]!.data)).toEqual([['x-tr', '2']]);
    // proxy_get_status inside proxy_on_grpc_close: the code and message the stream closed with.
    expect(vm.mem.u32(24)).toBe(7);
    expect(dec.decode(seen[4]!.data)).toBe('denied');

    // Remote closed, local side still open: the plugin closes it, then the token is gone.
    expect(vm.openGrpcStreams).toBe(1);
    expect(t(vm, 1, 'close', token)).toBe(Status.OK);
    expect(stream.closedByPlugin).toBe(true);
    expect(vm.openGrpcStreams).toBe(0);
    expect(send(vm, token, 'late')).toBe(Status.NOT_FOUND);
    expect(t(vm, 1, 'close', token)).toBe(Status.NOT_FOUND);
    expect(t(vm, 1, 'cancel', token)).toBe(Status.NOT_FOUND);
    await expect(stream.sendMessage('after close')).rejects.toThrow(/closed/);
  });

  it('answers bad tokens and bad pointers with ABI statuses', async () => {
    const { vm } = await load({ grpcStreams: { [cluster]: null } });
    expect(send(vm, 4242, 'x')).toBe(Status.NOT_FOUND);
    const { token } = open(vm);
    expect(t(vm, 1, 'send', token, 0x7ffffff0, 100, 0)).toBe(Status.INVALID_MEMORY_ACCESS);
    const [c, cl] = put(vm, cluster);
    expect(t(vm, 1, 'stream', c, cl, 0, 0, 0, 0, 0, 0, 0x7ffffff0)).toBe(Status.INVALID_MEMORY_ACCESS);
    expect(vm.openGrpcStreams).toBe(1);
  });

  it('half-closes with end_of_stream, then forgets the stream when the remote closes', async () => {
    const { plugin, vm } = await load({ grpcStreams: { [cluster]: null } });
    const { token } = open(vm);
    expect(send(vm, token, 'last', true)).toBe(Status.OK);
    const stream = plugin.grpcStreams[0]!;
    expect(stream.closedByPlugin).toBe(true);
    expect(send(vm, token, 'more')).toBe(Status.BAD_ARGUMENT);
    await stream.respond({ messages: ['answer'], status: 0 });
    expect(events(vm).map((e) => e.kind)).toEqual(['message', 'close']);
    expect(vm.openGrpcStreams).toBe(0);
  });

  it('cancel resets the stream: the plugin hears nothing more', async () => {
    const { plugin, vm } = await load({ grpcStreams: { [cluster]: null } });
    const { token } = open(vm);
    const stream = plugin.grpcStreams[0]!;
    expect(t(vm, 1, 'cancel', token)).toBe(Status.OK);
    expect(stream.cancelled).toBe(true);
    await stream.sendMessage('ignored');
    await stream.close(0);
    expect(events(vm)).toEqual([]);
    expect(vm.openGrpcStreams).toBe(0);
  });

  it('a handler answering at once does not re-enter the plugin; replies to messages sent from a callback', async () => {
    const { plugin, vm } = await load({
      grpcStreams: {
        [cluster]: (stream) => {
          stream.onMessage = (m, end) => {
            if (end) void stream.close(0, 'bye');
            else if (dec.decode(m).startsWith('ping')) void stream.sendMessage(`pong:${dec.decode(m)}`);
          };
          void stream.sendInitialMetadata({ 'x-ready': 'yes' });
        },
      },
    });
    vm.mem.setU32(1016, 1); // echo each message received
    const { token } = open(vm);
    await plugin.settled();
    expect(send(vm, token, 'ping1')).toBe(Status.OK);
    await plugin.settled();
    // ping1 -> pong:ping1 -> the module echoes it back (not a ping: no answer) -> done.
    expect(plugin.grpcStreams[0]!.textMessages).toEqual(['ping1', 'pong:ping1']);
    expect(send(vm, token, 'end', true)).toBe(Status.OK);
    await plugin.settled();
    const seen = events(vm);
    expect(seen.map((e) => e.kind)).toEqual(['initial', 'message', 'close']);
    expect(dec.decode(seen[1]!.data)).toBe('pong:ping1');
    expect(vm.openGrpcStreams).toBe(0);
  });

  it('a failed VM cancels its open streams', async () => {
    const { plugin, vm } = await load({ grpcStreams: { [cluster]: null } });
    open(vm);
    plugin.close();
    expect(plugin.grpcStreams[0]!.cancelled).toBe(true);
    expect(vm.openGrpcStreams).toBe(0);
  });
});

describe('gRPC streams over h2c (serve --cluster)', () => {
  it('streams messages both ways with metadata, trailers and status', async () => {
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-md': String(headers['x-req']) }, { waitForTrailers: true });
      let pending = Buffer.alloc(0);
      stream.on('data', (c: Buffer) => {
        pending = Buffer.concat([pending, c]);
        while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
          const len = pending.readUInt32BE(1);
          const reply = Buffer.from(`echo:${pending.subarray(5, 5 + len).toString()}`);
          const frame = Buffer.alloc(5 + reply.length);
          frame.writeUInt32BE(reply.length, 1);
          reply.copy(frame, 5);
          stream.write(frame);
          pending = pending.subarray(5 + len);
        }
      });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'done' }));
      stream.on('end', () => stream.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const got: Array<[string, unknown]> = [];
      const closed = new Promise<void>((resolve) => {
        const connection = urlClusters({ chat: url }).grpcStream!(
          { token: 2, cluster: 'chat', service: 'pkg.Chat', method: 'Talk', initialMetadata: [['x-req', 'a']] },
          {
            initialMetadata: (md) => got.push(['initial', md.find(([k]) => k === 'x-md')?.[1]]),
            message: (m) => {
              got.push(['message', dec.decode(m)]);
              if (dec.decode(m) === 'echo:one') connection.send(new TextEncoder().encode('two'), true);
            },
            trailingMetadata: (md) => got.push(['trailing', md.find(([k]) => k === 'grpc-message')?.[1]]),
            close: (status, message) => {
              got.push(['close', `${status} ${message}`]);
              resolve();
            },
          },
        );
        connection.send(new TextEncoder().encode('one'), false);
      });
      await closed;
      expect(got).toEqual([
        ['initial', 'a'],
        ['message', 'echo:one'],
        ['message', 'echo:two'],
        ['trailing', 'done'],
        ['close', '0 done'],
      ]);
      // An unknown base URL (nothing listening) closes with UNAVAILABLE.
      const status = await new Promise<number>((resolve) => {
        urlClusters({ down: 'http://127.0.0.1:1' }).grpcStream!(
          { token: 4, cluster: 'down', service: 's', method: 'm', initialMetadata: [] },
          { initialMetadata: () => {}, message: () => {}, trailingMetadata: () => {}, close: (s) => resolve(s) },
        );
      });
      expect(status).toBe(14);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
