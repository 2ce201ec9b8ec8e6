/**
 * The timeline page's script (plain browser JavaScript, served as /ui/app.js): the live list of
 * exchanges from /ui/api/exchanges and the server-sent events at /ui/events, and one exchange's
 * detail from /ui/api/exchanges/<id>: each plugin's callbacks on a timeline with their host calls,
 * header diffs per phase, logs, callouts and a trap's stack.
 */
export const appScript = String.raw`
(function () {
  'use strict';
  var tbody = document.querySelector('#exchanges tbody');
  var detail = document.getElementById('detail-pane');
  var statusEl = document.getElementById('status');
  var emptyEl = document.getElementById('empty');
  var selected = null;
  var count = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'class') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c != null) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }
  function statusClass(s) { return s ? 's' + String(s).charAt(0) : 's5'; }
  function clip(s, n) { s = String(s); return s.length > n ? s.slice(0, n) + '…' : s; }
  function bodyText(b) {
    if (!b || !b.size) return '(empty)';
    var shown = b.text !== undefined ? JSON.stringify(clip(b.text, 200)) : 'base64 ' + clip(b.base64 || '', 80);
    return shown + ' (' + b.size + ' bytes' + (b.truncated ? ', truncated' : '') + ')';
  }

  function row(s) {
    var tr = el('tr', { 'data-id': String(s.id) }, [
      el('td', { text: String(s.id) }),
      el('td', { text: new Date(s.startedAt).toLocaleTimeString() }),
      el('td', { text: s.method }),
      el('td', { class: 'path', text: s.path, title: s.path }),
      el('td', { class: statusClass(s.status), text: s.status == null ? 'reset' : String(s.status) }),
      el('td', { text: s.durationMs.toFixed(2) }),
      el('td', { text: s.answeredBy + (s.trapped ? ' (trap)' : '') }),
    ]);
    tr.addEventListener('click', function () { select(s.id); });
    return tr;
  }
  function add(s) {
    emptyEl.style.display = 'none';
    tbody.insertBefore(row(s), tbody.firstChild);
    count++;
    while (tbody.children.length > 200) tbody.removeChild(tbody.lastChild);
    statusEl.textContent = 'live · ' + count + ' exchanges';
  }

  function headerDiff(before, after) {
    function index(pairs) { var m = new Map(); pairs.forEach(function (p) { m.set(p[0], m.has(p[0]) ? m.get(p[0]) + ', ' + p[1] : p[1]); }); return m; }
    var a = index(before || []), b = index(after || []), out = [];
    a.forEach(function (v, k) {
      if (!b.has(k)) out.push({ op: 'removed', key: k, before: v });
      else if (b.get(k) !== v) out.push({ op: 'changed', key: k, before: v, after: b.get(k) });
    });
    b.forEach(function (v, k) { if (!a.has(k)) out.push({ op: 'added', key: k, after: v }); });
    return out;
  }
  function diffTable(title, before, after) {
    var d = headerDiff(before, after);
    var rows = d.map(function (c) {
      return el('tr', { class: 'diff-' + c.op }, [
        el('td', { text: c.op === 'added' ? '+' : c.op === 'removed' ? '−' : '~' }),
        el('td', { text: c.key }),
        el('td', { text: c.before === undefined ? '' : clip(c.before, 300) }),
        el('td', { text: c.after === undefined ? '' : clip(c.after, 300) }),
      ]);
    });
    return el('div', { class: 'card' }, [
      el('h3', { text: title }),
      d.length === 0 ? el('p', { class: 'muted', text: 'unchanged' })
        : el('table', { class: 'diff' }, [el('thead', null, [el('tr', null, [el('th'), el('th', { text: 'header' }), el('th', { text: 'before' }), el('th', { text: 'after' })])]), el('tbody', null, rows)]),
    ]);
  }

  function configText(c) {
    if (!c.size) return '(empty)';
    if (c.json !== undefined) return clip(JSON.stringify(c.json), 300) + ' (' + c.size + ' bytes)';
    return bodyText(c);
  }
  function callText(c) {
    var skip = { call: 1, t: 1, status: 1, preview: 1, pairs: 1, body: 1 };
    var parts = [];
    for (var k in c) if (!skip[k] && c[k] !== undefined) parts.push(k + '=' + (typeof c[k] === 'string' ? JSON.stringify(clip(c[k], 120)) : JSON.stringify(c[k])));
    if (c.preview || c.body) parts.push('data=' + bodyText(c.preview || c.body));
    if (c.pairs) parts.push('headers=' + c.pairs.map(function (p) { return p[0] + ': ' + clip(p[1], 60); }).join('; '));
    return c.call.replace(/^proxy_/, '') + ' ' + parts.join(' ') + (c.status ? ' → ' + c.status : '');
  }

  var phaseNames = { proxy_on_request_headers: 'request headers', proxy_on_request_trailers: 'request trailers', proxy_on_response_headers: 'response headers', proxy_on_response_trailers: 'response trailers' };

  function pluginCard(p, total) {
    var timeline = el('div', { class: 'timeline', title: 'callbacks over the exchange (' + total.toFixed(2) + ' ms)' });
    var rows = [];
    var diffs = [];
    p.callbacks.forEach(function (cb) {
      var left = Math.min(99, (cb.t / total) * 100);
      var width = Math.max(0.6, (cb.ms / total) * 100);
      timeline.appendChild(el('div', { class: 'bar' + (cb.trap ? ' trap' : cb.result === 'pause' ? ' pause' : ''), style: 'left:' + left + '%;width:' + width + '%', title: cb.callback + ' at ' + cb.t + ' ms for ' + cb.ms + ' ms' }));
      var calls = el('ul', { class: 'calls' }, cb.calls.map(function (c) { return el('li', { text: callText(c) }); }));
      rows.push(el('tr', { class: 'callback' }, [
        el('td', { text: cb.t.toFixed(3) + ' ms' }),
        el('td', { class: 'cb' }, [cb.callback + '(' + cb.args.join(', ') + ')' + (cb.result !== undefined ? ' → ' + cb.result : '')]),
        el('td', { class: 'muted', text: cb.ms + ' ms · ' + cb.memoryPages + ' pages' }),
        el('td', null, [cb.calls.length ? calls : el('span', { class: 'muted', text: 'no host calls' })]),
      ]));
      if (cb.before && cb.after) diffs.push(diffTable(p.name + ': ' + (phaseNames[cb.callback] || cb.callback) + ' changed in ' + cb.callback, cb.before, cb.after));
      if (cb.trap) diffs.push(el('div', { class: 'card trap-box' }, [
        el('h3', { text: 'trap in ' + cb.trap.callback }),
        el('pre', { text: cb.trap.message + '\n' + cb.trap.stack.map(function (f) { return '  at ' + (f.name || 'wasm-function[' + f.index + ']') + (f.offset !== undefined ? ' (0x' + f.offset.toString(16) + ')' : ''); }).join('\n') }),
      ]));
    });
    var callouts = p.callouts.map(function (c) {
      var req = c.request.headers.filter(function (h) { return h[0] === ':method' || h[0] === ':path'; }).map(function (h) { return h[1]; }).join(' ');
      var res = !c.response ? 'pending' : c.response.failed ? 'failed' : (c.response.headers.filter(function (h) { return h[0] === ':status'; }).map(function (h) { return h[1]; })[0] || ('grpc-status ' + c.response.status + (c.response.statusMessage ? ' (' + c.response.statusMessage + ')' : '')));
      if (c.kind === 'grpc-stream') res += ' · sent ' + (c.sent || 0) + ', received ' + (c.events || []).filter(function (e) { return e.message; }).length;
      return el('tr', { class: 'callout' }, [el('td', { text: c.kind }), el('td', { text: c.cluster }), el('td', { text: req || (c.request.service + '/' + c.request.method) }), el('td', { text: res }), el('td', { text: c.response ? bodyText(c.response.body) : '' })]);
    });
    return el('div', { class: 'card plugin', 'data-plugin': p.name }, [
      el('h3', { text: 'plugin ' + p.name + ' (root id "' + p.rootId + '", context ' + p.contextId + ')' }),
      p.note ? el('p', { class: 'note', text: p.note }) : null,
      p.configuration ? el('p', { class: 'muted config', text: 'configuration: ' + configText(p.configuration) }) : null,
      timeline,
      el('table', { class: 'callbacks' }, [el('tbody', null, rows)]),
      callouts.length ? el('h3', { text: 'callouts' }) : null,
      callouts.length ? el('table', { class: 'callouts' }, [el('tbody', null, callouts)]) : null,
      p.dropped ? el('p', { class: 'muted', text: p.dropped + ' more events were not kept' }) : null,
    ].concat(diffs));
  }

  function render(e) {
    detail.textContent = '';
    detail.scrollTop = 0;
    var status = e.response ? e.response.status : 'reset';
    detail.appendChild(el('h2', { id: 'detail-title', text: '#' + e.id + ' ' + e.method + ' ' + e.path + ' → ' + status }));
    detail.appendChild(el('p', { class: 'muted', text: 'answered by ' + e.answeredBy + ' · ' + e.durationMs + ' ms · ' + e.startedAt + (e.secrets ? ' · secrets shown' : '') }));
    if (e.local) detail.appendChild(el('div', { class: 'card' }, ['local reply ' + e.local.status + ' by ' + e.local.by + (e.local.details ? ' (' + e.local.details + ')' : '')]));
    var total = Math.max(e.durationMs, 0.001);
    e.plugins.forEach(function (p) { detail.appendChild(pluginCard(p, total)); });
    if (e.upstreamRequest) detail.appendChild(diffTable('request: as the client sent it → as sent upstream', e.request.headers, e.upstreamRequest.headers));
    if (e.upstreamResponse && e.response) detail.appendChild(diffTable('response: as the upstream answered → as the client got it', e.upstreamResponse.headers, e.response.headers));
    function headerTable(title, pairs) {
      return el('details', { class: 'headers' }, [el('summary', { text: title + ' (' + pairs.length + ')' }), el('table', { class: 'diff' }, [el('tbody', null, pairs.map(function (p) { return el('tr', null, [el('td', { text: p[0] }), el('td', { text: clip(p[1], 300) })]); }))])]);
    }
    detail.appendChild(el('div', { class: 'card' }, [
      el('h3', { text: 'headers' }),
      headerTable('request, as the client sent it', e.request.headers),
      e.upstreamRequest ? headerTable('request, as sent upstream', e.upstreamRequest.headers) : null,
      e.upstreamResponse ? headerTable('response, as the upstream answered', e.upstreamResponse.headers) : null,
      e.response ? headerTable('response, as the client got it', e.response.headers) : null,
    ]));
    var logs = [];
    e.plugins.forEach(function (p) { p.callbacks.forEach(function (cb) { cb.calls.forEach(function (c) { if (c.call === 'proxy_log') logs.push(el('li', { class: 'log-' + c.level, text: '[' + p.name + '] [' + c.level + '] ' + c.message })); }); }); });
    detail.appendChild(el('div', { class: 'card' }, [el('h3', { text: 'logs' }), logs.length ? el('ul', { class: 'logs' }, logs) : el('p', { class: 'muted', text: 'no logs' })]));
    detail.appendChild(el('div', { class: 'card' }, [el('h3', { text: 'bodies' }), el('pre', { text:
      'request: ' + bodyText(e.request.body) + '\n' +
      (e.upstreamRequest ? 'sent upstream: ' + bodyText(e.upstreamRequest.body) + '\n' : '') +
      (e.upstreamResponse ? 'upstream answered: ' + bodyText(e.upstreamResponse.body) + '\n' : '') +
      (e.response ? 'client got: ' + bodyText(e.response.body) : '') })]));
  }

  function select(id) {
    selected = id;
    Array.prototype.forEach.call(tbody.children, function (tr) { tr.classList.toggle('selected', tr.getAttribute('data-id') === String(id)); });
    fetch('api/exchanges/' + id).then(function (r) {
      if (!r.ok) throw new Error('exchange ' + id + ' is no longer kept (serve keeps the last 200)');
      return r.json();
    }).then(function (e) { if (selected === id) render(e); }, function (err) {
      detail.textContent = '';
      detail.appendChild(el('p', { class: 'note', text: String(err.message || err) }));
    });
  }

  fetch('api/exchanges').then(function (r) { return r.json(); }).then(function (list) {
    list.forEach(add);
    var source = new EventSource('events');
    source.addEventListener('exchange', function (m) { add(JSON.parse(m.data)); });
    source.onopen = function () { statusEl.textContent = 'live · ' + count + ' exchanges'; };
    source.onerror = function () { statusEl.textContent = 'disconnected: serve stopped? (retrying)'; };
  });
})();
`;
