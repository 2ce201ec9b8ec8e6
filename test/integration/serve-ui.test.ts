import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { makeTempDir, requireToolInCi } from '../helpers/tmp.js';
import { startServe, startServer, type ServeProcess } from '../helpers/serve.js';
import { buildCPlugin } from '../unit/host/fixtures.js';

// serve's timeline page in a real headless Chromium (Debian's, installed by scripts/test-tools.sh),
// driven by playwright-core: requests sent through serve appear live; opening one shows the plugin's
// callbacks on the timeline and a header diff. The screenshot lands in test-artifacts/ (gitignored).
const chromiumPath = '/usr/bin/chromium';
const artifacts = path.join(repoRoot, 'test-artifacts');
let tmp: { dir: string; cleanup: () => Promise<void> };
let example: string | undefined;
let upstream: Awaited<ReturnType<typeof startServer>>;
let serve: ServeProcess | undefined;
let browser: BrowserContext | undefined;

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli.chunks'))) execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'ignore' });
  tmp = await makeTempDir('ciw-serve-ui-');
  if (buildCPlugin('example-plugin.c', tmp.dir)) example = path.join(tmp.dir, 'example-plugin.wasm');
  upstream = await startServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('fine\n');
  });
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await upstream?.close();
  await tmp?.cleanup();
});

describe('the timeline page in headless Chromium', () => {
  it('shows exchanges live; one opened shows its callbacks on a timeline and a header diff', { timeout: 90_000 }, async ({ skip }) => {
    const present = existsSync(chromiumPath);
    requireToolInCi('chromium (Debian package, /usr/bin/chromium)', present);
    if (!present) return skip('chromium missing: apt-get install chromium');
    if (!example) return skip('clang missing');
    serve = await startServe(['--wasm', example, '--upstream', upstream.url, '--root-id', 'demo', '--plugin-config', '{"responseHeader":"x-demo"}']);
    const ui = /ui: (http:\/\/\S+)/.exec(serve.stderr())?.[1];
    expect(ui).toBeDefined();

    browser = await chromium.launchPersistentContext(path.join(tmp.dir, 'chromium-profile'), {
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1400, height: 900 },
      timeout: 30_000,
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(ui!);
    await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toMatch(/^live/);
    expect(await page.isVisible('#empty')).toBe(true);

    // Requests sent after the page opened arrive over the event stream, newest first.
    expect((await fetch(`${serve.url}/hello?lang=en`, { headers: { authorization: 'Bearer secret-value' } })).status).toBe(200);
    expect((await fetch(`${serve.url}/v2/private`)).status).toBe(401);
    const rows = page.locator('#exchanges tbody tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    expect(await rows.nth(0).innerText()).toMatch(/GET\s+\/v2\/private\s+401\s+[\d.]+\s+example-plugin/);
    expect(await rows.nth(1).innerText()).toMatch(/GET\s+\/hello\?lang=en\s+200\s+[\d.]+\s+upstream/);

    await rows.nth(1).click();
    await page.waitForSelector('#detail-title');
    expect(await page.textContent('#detail-title')).toBe('#1 GET /hello?lang=en → 200');
    const plugin = page.locator('.plugin[data-plugin="example-plugin"]');
    const callbacks = await plugin.locator('.callbacks td.cb').allInnerTexts();
    expect(callbacks.some((c) => /^proxy_on_request_headers\(\d+, 1\) → continue$/.test(c))).toBe(true);
    expect(callbacks.some((c) => c.startsWith('proxy_on_response_headers('))).toBe(true);
    expect(await plugin.locator('.timeline .bar').count()).toBe(callbacks.length);
    expect(await plugin.locator('p.config').innerText()).toBe('configuration: {"responseHeader":"x-demo"} (27 bytes)');
    expect(await plugin.locator('.calls li').allInnerTexts()).toContain('replace_header_map_value map="request_headers" key="x-wasm-plugin-request" value="demo"');
    // The header diff of the response phase: x-demo added by the plugin.
    const added = await page.locator('tr.diff-added').allInnerTexts();
    expect(added.some((t) => /x-demo\s+demo/.test(t))).toBe(true);
    expect(added.some((t) => /x-wasm-plugin-request\s+demo/.test(t))).toBe(true);
    // The credential is masked in what the page shows.
    await page.click('details.headers summary >> nth=0');
    expect(await page.locator('details.headers').first().innerText()).toMatch(/authorization\s+Bearer \*\*\*/);
    expect(await page.content()).not.toContain('secret-value');

    await rows.nth(0).click();
    await expect.poll(() => page.textContent('#detail-title')).toBe('#2 GET /v2/private → 401');
    expect(await page.locator('.logs li').allInnerTexts()).toContain('[example-plugin] [warn] missing authorization header');

    await rows.nth(1).click();
    await expect.poll(() => page.textContent('#detail-title')).toBe('#1 GET /hello?lang=en → 200');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { getElementById(id: string): { scrollTop: number } } }).document.getElementById('detail-pane').scrollTop)).toBe(0);
    mkdirSync(artifacts, { recursive: true });
    const shot = path.join(artifacts, 'serve-timeline.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
  });
});
