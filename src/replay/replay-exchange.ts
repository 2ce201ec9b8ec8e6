import { Chain, ExchangeRecorder, HeaderMap, driveRequest, driveResponse, localResponseMessage, traceBodyBytes, type LocalResponse, type Plugin, type TraceExchange } from '../host/index.js';

/** Who answered, as the recording names it: the plugin at `by`, or the host for its own replies. */
function answeredBy(plugins: Plugin[], local: LocalResponse, by: number): string {
  if (local.details === 'wasm_fail_stream' || local.details.endsWith('payload_too_large')) return 'host';
  return plugins[by]?.name ?? 'host';
}

/**
 * Re-runs one recorded exchange through `plugins` with no network: the recorded request goes in, the
 * recorded upstream answer comes back (when the request reaches the upstream), and the callouts are
 * answered from the recording (the plugins' dispatchers). Returns the new run's trace.
 */
export async function replayExchange(recorded: TraceExchange, plugins: Plugin[], timeoutMs = 10_000): Promise<{ trace: TraceExchange; note?: string }> {
  const rec = new ExchangeRecorder(recorded.id, plugins.map((p) => ({ name: p.name, rootId: p.rootId, configuration: p.traceConfiguration })));
  const info = { sourceAddress: '127.0.0.1', sourcePort: 40000, destinationAddress: '127.0.0.1', destinationPort: 8080 };
  const streams = plugins.map((p, i) => p.newStream(info, rec.streams[i]));
  const chain = new Chain(streams);
  let note: string | undefined;
  const run = async () => {
    const headers = new HeaderMap(recorded.request.headers);
    const body = traceBodyBytes(recorded.request.body);
    const trailers = recorded.request.trailers ? new HeaderMap(recorded.request.trailers) : undefined;
    rec.request(headers);
    rec.requestBody(body);
    if (trailers) rec.requestTrailers(trailers);
    const req = await driveRequest(chain, headers, body, trailers);
    let response: { headers: HeaderMap; body: Uint8Array; trailers?: HeaderMap | undefined };
    if (req.kind === 'closed') return;
    if (req.kind === 'local') {
      rec.local(req.response, answeredBy(plugins, req.response, req.by));
      response = localResponseMessage(req.response);
    } else {
      rec.upstreamRequest(headers);
      rec.upstreamRequestBody(req.body);
      const up = recorded.upstreamResponse;
      if (!up) {
        note = `the request now reaches the upstream; the recording has no upstream answer (it was answered by ${recorded.answeredBy})`;
        return;
      }
      response = { headers: new HeaderMap(up.headers), body: traceBodyBytes(up.body), trailers: up.trailers ? new HeaderMap(up.trailers) : undefined };
      rec.upstreamResponse(up.status, response.headers);
      rec.upstreamResponseBody(response.body);
      if (response.trailers) rec.upstreamResponseTrailers(response.trailers);
    }
    const res = await driveResponse(chain, response.headers, response.body, response.trailers);
    if (res.kind === 'closed') return;
    if (res.kind === 'local') rec.local(res.response, answeredBy(plugins, res.response, res.by));
    rec.response(Number(res.headers.get(':status') ?? 0), res.headers);
    rec.responseBody(res.body);
    const t = streams[0]?.responseTrailers;
    if (res.kind === 'sent' && t && t.size > 0) rec.responseTrailers(t);
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    const outcome = await Promise.race([run().then(() => 'done' as const), timeout]);
    if (outcome === 'timeout') note = `the exchange did not finish within ${timeoutMs / 1000} s (a plugin paused and never resumed)`;
  } finally {
    clearTimeout(timer);
    chain.finish();
  }
  return { trace: rec.finish(), ...(note ? { note } : {}) };
}
