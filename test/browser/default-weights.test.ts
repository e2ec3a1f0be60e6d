/**
 * The browser adapters' default weights in headless Chromium, with no network: the CDN (jsDelivr) is intercepted
 * with `context.route()` and answered from this repository's weights/ (or with damaged bytes, or not at all). The
 * app is the built `dist/webgl.js` bundled by esbuild and served from 127.0.0.1 (a secure context, so the Cache API
 * is there), without a weights/ folder beside it unless a test serves one. Run with
 * `npm run build && npx vitest run --config vitest.browser.config.ts test/browser/default-weights.test.ts`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_WEBGL_ARGS, launchChromium } from './chromium.js';
import { serveStatic, type StaticServer } from './static-server.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const weightsDir = join(repo, 'weights');
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const CDN = `https://cdn.jsdelivr.net/npm/neural-style-tfjs@${version}/weights/`;

interface LoadReport {
  ok: boolean;
  location?: string;
  manifestSha256?: string;
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
}

/** What the CDN answers in a test: the real files, a damaged one, or no network at all. */
type CdnMode = { kind: 'files'; damage?: string } | { kind: 'offline' };

describe.skipIf(!process.env.NST_BROWSER_E2E)('default weights in a browser (CDN intercepted)', () => {
  let browser: Browser;
  let site: string;
  let server: StaticServer;
  let besideServer: StaticServer;

  beforeAll(async () => {
    if (!existsSync(join(repo, 'dist/webgl.js')) || !existsSync(join(weightsDir, 'manifest.json'))) {
      throw new Error('Build the weights and the package first (npm run weights && npm run build).');
    }
    site = mkdtempSync(join(tmpdir(), 'nst-default-weights-'));
    writeFileSync(
      join(site, 'main.js'),
      `import { ready, loadVgg19 } from ${JSON.stringify(join(repo, 'dist/webgl.js'))};
window.__load = async () => {
  await ready();
  try {
    const m = await loadVgg19();
    const r = { ok: true, location: m.location, manifestSha256: m.manifestSha256 };
    m.dispose();
    return r;
  } catch (e) {
    return { ok: false, code: e.code, message: e.message, details: JSON.parse(JSON.stringify(e.details ?? null)) };
  }
};`,
    );
    const esbuild = await import('esbuild');
    await esbuild.build({ entryPoints: [join(site, 'main.js')], bundle: true, format: 'esm', platform: 'browser', outfile: join(site, 'app/app.js'), logLevel: 'silent', absWorkingDir: repo });
    writeFileSync(join(site, 'app/index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./app.js"></script>');
    // The second server is the same app with the weights beside it, as a site serving /weights/ has.
    server = await serveStatic({ '/': join(site, 'app') });
    besideServer = await serveStatic({ '/': join(site, 'app'), '/weights/': weightsDir });
    browser = await launchChromium(CHROMIUM_WEBGL_ARGS);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await besideServer?.close();
    if (site) rmSync(site, { recursive: true, force: true });
  });

  /** A fresh context (empty cache) whose requests to jsDelivr are answered by `mode`; `log` lists them. */
  async function context(mode: { current: CdnMode }, log: string[]): Promise<BrowserContext> {
    const ctx = await browser.newContext();
    await ctx.route('https://cdn.jsdelivr.net/**', async (route: Route) => {
      const url = route.request().url();
      log.push(url);
      const m = mode.current;
      if (m.kind === 'offline') return route.abort('internetdisconnected');
      if (!url.startsWith(CDN)) return route.fulfill({ status: 404, body: 'not found' });
      const file = url.slice(CDN.length);
      const path = join(weightsDir, file);
      if (!/^[\w.-]+$/.test(file) || !existsSync(path)) return route.fulfill({ status: 404, body: 'not found' });
      const body = readFileSync(path);
      if (m.damage === file) body[body.length >> 1] ^= 0xff;
      return route.fulfill({ status: 200, body, headers: { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream', 'access-control-allow-origin': '*' } });
    });
    return ctx;
  }

  async function load(ctx: BrowserContext, url: string): Promise<LoadReport> {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(url);
    await page.waitForFunction(() => typeof (window as unknown as { __load?: unknown }).__load === 'function');
    return page.evaluate(() => (window as unknown as { __load: () => Promise<LoadReport> }).__load());
  }

  const pinned = createHash('sha256').update(readFileSync(join(weightsDir, 'manifest.json'))).digest('hex');

  it('loads the pinned weights from the CDN with no configuration, and the second visit from the cache', async () => {
    const log: string[] = [];
    const ctx = await context({ current: { kind: 'files' } }, log);
    try {
      const first = await load(ctx, server.url);
      expect(first).toMatchObject({ ok: true, location: CDN, manifestSha256: pinned });
      // The manifest and every shard came from the CDN, after a 404 for the folder beside the app.
      expect(log.filter((u) => u.endsWith('.bin')).length).toBe(7);
      expect(server.log.some((r) => r.path === '/weights/manifest.json' && r.status === 404)).toBe(true);
      log.length = 0;
      const second = await load(ctx, server.url); // a reload: same origin, same cache
      expect(second).toMatchObject({ ok: true, manifestSha256: pinned });
      expect(log).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('refuses damaged bytes from the CDN with WEIGHTS_CHECKSUM, and does not cache them', async () => {
    const log: string[] = [];
    const mode: { current: CdnMode } = { current: { kind: 'files', damage: 'manifest.json' } };
    const ctx = await context(mode, log);
    try {
      const manifest = await load(ctx, server.url);
      expect(manifest).toMatchObject({ ok: false, code: 'WEIGHTS_CHECKSUM' });
      expect(manifest.details).toMatchObject({ expected: pinned });
      mode.current = { kind: 'files', damage: 'vgg19-shard3of7.bin' };
      const shard = await load(ctx, server.url);
      expect(shard).toMatchObject({ ok: false, code: 'WEIGHTS_CHECKSUM' });
      expect(shard.message).toContain('vgg19-shard3of7.bin');
      // The good shards were cached, the damaged one was not: fixed, the CDN is asked for that shard only.
      mode.current = { kind: 'files' };
      log.length = 0;
      expect(await load(ctx, server.url)).toMatchObject({ ok: true, manifestSha256: pinned });
      expect(log.filter((u) => u.endsWith('.bin'))).toEqual([`${CDN}vgg19-shard3of7.bin`]);
    } finally {
      await ctx.close();
    }
  });

  it('without network fails with a coded error naming the `weights` option', async () => {
    const ctx = await context({ current: { kind: 'offline' } }, []);
    try {
      const r = await load(ctx, server.url);
      expect(r).toMatchObject({ ok: false, code: 'WEIGHTS_FETCH', details: { option: 'weights', location: CDN } });
      expect(r.message).toContain("loadVgg19({ weights: '/weights/' })");
      expect(r.message).toContain('docs/browser.md');
    } finally {
      await ctx.close();
    }
  });

  it('takes the weights served beside the app first, without asking the CDN', async () => {
    const log: string[] = [];
    const ctx = await context({ current: { kind: 'offline' } }, log);
    try {
      const r = await load(ctx, besideServer.url);
      expect(r).toMatchObject({ ok: true, location: `${besideServer.url}weights/`, manifestSha256: pinned });
      expect(log).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
