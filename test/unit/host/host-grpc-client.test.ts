import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcServiceCluster, urlClusters } from '../../../src/host/index.js';

// serve's gRPC client (h2c) against a real local HTTP/2 server.
let server: http2.Http2Server;
let url = '';

beforeAll(async () => {
  server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const message = body.subarray(5).toString();
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-md': 'm' }, { waitForTrailers: true });
      const reply = Buffer.from(`${headers[':path']} got ${message} from ${headers['x-who']}`);
      const frame = Buffer.alloc(5 + reply.length);
      frame.writeUInt32BE(reply.length, 1);
      reply.copy(frame, 5);
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'fine' }));
      stream.end(frame);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('gRPC client for --cluster', () => {
  it('sends a unary call over h2c and parses messages, metadata and status', async () => {
    const dispatcher = urlClusters({ grpc: url });
    const r = await dispatcher.grpc!(
      { token: 1, cluster: 'grpc', service: 'pkg.Svc', method: 'Do', initialMetadata: [['x-who', 'plugin']], message: new TextEncoder().encode('hello'), timeoutMs: 2000 },
      new AbortController().signal,
    );
    expect(r.status).toBe(0);
    expect(r.statusMessage).toBe('fine');
    expect(r.initialMetadata).toContainEqual(['x-md', 'm']);
    expect(r.messages?.map((m) => new TextDecoder().decode(m))).toEqual(['/pkg.Svc/Do got hello from plugin']);
  });

  it('answers UNAVAILABLE when nothing listens', async () => {
    const dispatcher = urlClusters({ down: 'http://127.0.0.1:1' });
    const r = await dispatcher.grpc!({ token: 1, cluster: 'down', service: 's', method: 'm', initialMetadata: [], message: new Uint8Array(), timeoutMs: 2000 }, new AbortController().signal);
    expect(r.status).toBe(14);
  });

  it('reads the cluster from a serialized GrpcService or a plain name', () => {
    const name = 'outbound|9000||rl';
    const inner = [0x0a, name.length, ...new TextEncoder().encode(name)];
    expect(grpcServiceCluster(Uint8Array.from([0x0a, inner.length, ...inner]))).toBe(name);
    expect(grpcServiceCluster(new TextEncoder().encode(name))).toBe(name);
  });
});
