/**
 * The example server (examples/server/server.mjs) under a bounded load on 127.0.0.1: good requests, hostile
 * uploads and clients that disconnect mid-run, all at once. Every good request completes with a PNG, every bad one
 * gets a 4xx with its error code, and the server's tensor count and RSS come back to their baseline. Runs the BUILT
 * package (`npm run build`), as a user of the example would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, encodeImage } from '../src/adapters/node/image-io.js';
import { loadImage } from './helpers/images.js';

const SERVER = fileURLToPath(new URL('../examples/server/server.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Running {
  url: string;
  proc: ChildProcess;
  stderr: string[];
  stdout: string[];
}

let dir: string;
const servers: Running[] = [];

/** Starts the server on a free port and resolves once it listens. */
async function startServer(extra: string[] = []): Promise<Running> {
  const proc = spawn(process.execPath, [SERVER, '--styles', join(dir, 'styles'), '--port', '0', '--max-body-mb', '1', '--max-megapixels', '4', ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  const stdout: string[] = [];
  proc.stderr!.on('data', (c) => stderr.push(String(c)));
  proc.stdout!.on('data', (c) => stdout.push(String(c)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c) => {
      out += String(c);
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr.join('')}`)));
  });
  const running = { url, proc, stderr, stdout };
  servers.push(running);
  return running;
}

async function health(url: string): Promise<{ tensors: number; rssMB: number; queued: number; served: number }> {
  return (await fetch(`${url}/health`)).json() as Promise<{ tensors: number; rssMB: number; queued: number; served: number }>;
}

/** A PNG whose header claims `w`x`h` pixels, followed by no image data: 69 bytes of a memory bomb. */
function pngBomb(w: number, h: number): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Uint8Array) => (b.reduce((c, x) => crcTable[(c ^ x) & 0xff] ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0;
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    out.set(Buffer.from(type, 'latin1'), 4);
    out.set(data, 8);
    v.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, w);
  new DataView(ihdr.buffer).setUint32(4, h);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const idat = chunk('IDAT', new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), idat, chunk('IEND', new Uint8Array())]);
}

/** A JPEG start whose frame header claims `w`x`h`. */
function jpegBomb(w: number, h: number): Uint8Array {
  return new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, h >> 8, h & 0xff, w >> 8, w & 0xff, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xd9]);
}

let content: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nst-server-'));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'styles'));
  writeFileSync(join(dir, 'styles', 'starry_night.png'), encodeImage(loadImage('starry_night', 64), 'png'));
  writeFileSync(join(dir, 'styles', 'the_scream.png'), encodeImage(loadImage('the_scream', 64), 'png'));
  content = encodeImage(loadImage('tubingen', 48), 'png');
});

afterAll(() => {
  for (const s of servers) s.proc.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('examples/server under load', () => {
  it('good requests complete, hostile ones get a 4xx with a code, disconnects are cleaned up, and memory comes back', async () => {
    const { url, stderr } = await startServer(['--max-queue', '32']);
    const post = (query: string, body: Uint8Array | string, signal?: AbortSignal) => fetch(`${url}/stylize?${query}`, { method: 'POST', body: new Blob([body as BlobPart]), signal });
    // Warm up with every style and size used below: the backend's heap grows on the first run, and each prepared
    // style keeps its Grams per size (by design), so the baseline is taken once those exist.
    for (const q of ['style=starry_night&size=32', 'style=the_scream&size=32', 'style=starry_night&size=48']) {
      const warm = await post(`${q}&iterations=1`, content);
      expect(warm.status).toBe(200);
      await warm.arrayBuffer();
    }
    const base = await health(url);

    const good = Array.from({ length: 6 }, (_, i) => post(`style=${i % 2 ? 'the_scream' : 'starry_night'}&size=32&iterations=2`, content));
    const hostile: [string, Promise<Response>, number, string][] = [
      ['PNG claiming 20000x20000', post('style=starry_night&size=32', pngBomb(20000, 20000)), 413, 'IMAGE_TOO_LARGE'],
      ['JPEG claiming 14000x14000', post('style=starry_night&size=32', jpegBomb(14000, 14000)), 413, 'IMAGE_TOO_LARGE'],
      ['garbage bytes', post('style=starry_night&size=32', new Uint8Array(5000).fill(7)), 400, 'UNSUPPORTED_IMAGE'],
      ['an empty body', post('style=starry_night&size=32', new Uint8Array()), 400, 'UNSUPPORTED_IMAGE'],
      ['a truncated PNG', post('style=starry_night&size=32', content.subarray(0, 200)), 400, 'INVALID_IMAGE'],
      ['a body over the cap', post('style=starry_night&size=32', new Uint8Array(2 * 2 ** 20)), 413, 'BODY_TOO_LARGE'],
      ['an unknown style', post('style=../../etc/passwd&size=32', content), 404, 'UNKNOWN_STYLE'],
      ['a size that is not a number', post('style=starry_night&size=abc', content), 400, 'INVALID_OPTION'],
      ['a size past the limit', post('style=starry_night&size=100000', content), 400, 'INVALID_OPTION'],
      ['iterations 0', post('style=starry_night&size=32&iterations=0', content), 400, 'INVALID_OPTION'],
      ['a GET', fetch(`${url}/stylize?style=starry_night`), 405, 'METHOD'],
    ];
    // Clients that go away: the first while its run waits behind the good ones; the other two once the good ones
    // are answered, when the second is running and the third waits behind it. 300 iterations: none can finish.
    const leave = [new AbortController(), new AbortController(), new AbortController()];
    setTimeout(() => leave[0].abort(), 100);
    const leavers = leave.map((c) => post('style=starry_night&size=48&iterations=300', content, c.signal).then(() => 'answered', (e: Error) => e.name));

    for (const [what, p, status, code] of hostile) {
      const res = await p;
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status, what).toBe(status);
      expect(body.error.code, what).toBe(code);
      expect(body.error.message.length, what).toBeGreaterThan(10);
    }
    for (const p of good) {
      const res = await p;
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const img = decodeImage(new Uint8Array(await res.arrayBuffer()), 'response');
      expect([img.width, img.height]).toEqual([32, 24]);
    }
    await new Promise((r) => setTimeout(r, 1000));
    leave[1].abort();
    leave[2].abort();
    expect(await Promise.all(leavers)).toEqual(['AbortError', 'AbortError', 'AbortError']);

    // Aborted runs stop within one network pass; then the server is back where it started.
    let after = await health(url);
    for (let i = 0; i < 100 && (after.tensors !== base.tensors || after.queued !== 0); i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await health(url);
    }
    console.log(`server: baseline ${base.tensors} tensors, ${base.rssMB} MB RSS; after the load ${after.tensors} tensors, ${after.rssMB} MB RSS; served ${after.served}`);
    expect(after.tensors).toBe(base.tensors);
    expect(after.queued).toBe(0);
    expect(after.served).toBe(base.served + 6);
    expect(after.rssMB).toBeLessThan(base.rssMB + 150);
    expect(stderr.join('')).not.toMatch(/Error|at /);
  });

  it('a full queue answers 503 QUEUE_FULL with Retry-After', async () => {
    const { url } = await startServer(['--max-queue', '0']);
    const post = () => fetch(`${url}/stylize?style=starry_night&size=32&iterations=3`, { method: 'POST', body: new Blob([content as BlobPart]) });
    const [a, b] = await Promise.all([post(), post()]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 503]);
    const full = a.status === 503 ? a : b;
    expect(full.headers.get('retry-after')).toBe('5');
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe('QUEUE_FULL');
    await (a.status === 200 ? a : b).arrayBuffer();
  });

  it('a streamed body over the cap gets 413, a client leaving mid-upload is one quiet line, /health answers during a run', async () => {
    const { url, stderr, stdout } = await startServer();
    // A chunked upload (no content-length) of 3 MB against a 1 MB cap: answered 413, not reset.
    const chunk = new Uint8Array(64 * 1024).fill(1);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= 3 * 2 ** 20) return c.close();
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    const res = await fetch(`${url}/stylize?style=starry_night&size=32`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE');

    // A client that sends part of its upload and leaves.
    await new Promise<void>((resolve) => {
      const req = request(`${url}/stylize?style=starry_night&size=32`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
      req.on('error', () => resolve());
      req.write(content.subarray(0, 100), () => setTimeout(() => req.destroy(), 100));
      req.on('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(stdout.join('')).toMatch(/"event":"client-left"/);

    // /health during a run: the session works on its worker thread, this one answers.
    const run = fetch(`${url}/stylize?style=starry_night&size=64&iterations=8`, { method: 'POST', body: new Blob([content as BlobPart]) });
    await new Promise((r) => setTimeout(r, 500));
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await health(url);
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect((await run).status).toBe(200);
    latencies.sort((a, b) => a - b);
    console.log(`server: /health during a 64 px run: median ${latencies[10].toFixed(1)} ms, max ${latencies[19].toFixed(1)} ms`);
    expect(latencies[19]).toBeLessThan(300);
    expect(stderr.join('')).toBe('');
  });
});
