/**
 * HTTP weight sources that stop answering (issue 26, item 10): a server that never answers, or stalls mid-file,
 * fails with WEIGHTS_FETCH and `details: { url, timeoutMs }` instead of hanging `loadVgg19` forever; a slow download
 * that keeps moving is not cut; `timeoutMs` is validated with the other load options.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVgg19, isStyleTransferError } from '../src/adapters/node.js';

type Behaviour = (res: ServerResponse) => void;

describe('timeouts of HTTP weight sources', () => {
  let server: Server;
  let base = '';
  let behaviour: Behaviour = () => {};
  const open = new Set<ServerResponse>();

  beforeAll(async () => {
    server = createServer((_req, res) => {
      open.add(res);
      res.on('close', () => open.delete(res));
      behaviour(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/w/`;
  });
  afterAll(async () => {
    for (const res of open) res.destroy();
    await new Promise((r) => server.close(r));
  });

  async function loadError(timeoutMs: number) {
    const start = Date.now();
    const e = await loadVgg19({ weights: base, timeoutMs }).then(
      () => undefined,
      (err: unknown) => err,
    );
    return { e, ms: Date.now() - start };
  }

  it('fails with WEIGHTS_FETCH when the server never answers', async () => {
    behaviour = () => {}; // accepts the connection, never writes
    const { e, ms } = await loadError(300);
    expect(isStyleTransferError(e, 'WEIGHTS_FETCH')).toBe(true);
    expect((e as { details: unknown }).details).toEqual({ url: `${base}manifest.json`, timeoutMs: 300 });
    expect((e as Error).message).toMatch(/sent nothing for 300 ms before answering.*timeoutMs/);
    expect(ms).toBeLessThan(20_000); // bounded (a hang would last until the test's own timeout); generous for a loaded machine
  });

  it('fails with WEIGHTS_FETCH when the body stalls mid-file', async () => {
    behaviour = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"architecture": ');
    };
    const { e } = await loadError(300);
    expect(isStyleTransferError(e, 'WEIGHTS_FETCH')).toBe(true);
    expect((e as { details: unknown }).details).toEqual({ url: `${base}manifest.json`, timeoutMs: 300 });
    expect((e as Error).message).toMatch(/after 17 bytes/);
  });

  it('does not cut a slow download that keeps sending', async () => {
    behaviour = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let n = 0;
      const t = setInterval(() => {
        res.write('x');
        if (++n === 25) {
          clearInterval(t);
          res.end();
        }
      }, 100);
    };
    const { e, ms } = await loadError(1500);
    // 25 bytes over ~2.5 s, more than the timeout in all, then the (non-JSON) manifest is refused as such.
    expect(ms).toBeGreaterThan(2000);
    expect(isStyleTransferError(e, 'WEIGHTS_MANIFEST')).toBe(true);
  });

  it('validates timeoutMs', async () => {
    for (const bad of [-1, Number.NaN, '1000']) {
      const e = await loadVgg19({ weights: base, timeoutMs: bad as number }).catch((err: unknown) => err);
      expect(isStyleTransferError(e, 'INVALID_OPTION')).toBe(true);
      expect((e as { details: { field: string } }).details.field).toBe('timeoutMs');
    }
  });
});
