#!/usr/bin/env node
/**
 * A small style-transfer server on Node's own `http` (no framework): one stylizer session shared by every
 * request, styles prepared once at start-up, the session's queue in front of the backend, input limits checked
 * before any decoding, the run aborted when the client goes away, and the result streamed back as a PNG.
 *
 *   npm run build
 *   node examples/server/server.mjs --styles ../shared/images --port 8080
 *   curl --data-binary @photo.jpg -o out.png 'http://127.0.0.1:8080/stylize?style=starry_night&size=256'
 *
 * Endpoints:
 *   POST /stylize?style=NAME[&size=N][&iterations=N]   body: a PNG or JPEG (the content); answers image/png
 *   GET  /styles                                       the style names
 *   GET  /health                                       { tensors, rssMB, queued, running, served }
 * Errors answer JSON { error: { code, message } } with 400 (bad input), 404 (unknown style), 405, 413 (too large),
 * 503 (queue full, with Retry-After) or 500. See docs/serving.md.
 */
import { createServer } from 'node:http';
import { readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import * as tf from '@tensorflow/tfjs-core';
import { createStylizer, decodeImage, readImage, ready, isStyleTransferError } from 'neural-style-tfjs/node';
import { fitSize, resizeImage, toImageTensor } from 'neural-style-tfjs/core';

const { values: args } = parseArgs({
  options: {
    styles: { type: 'string' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    'max-queue': { type: 'string', default: '8' },
    'max-body-mb': { type: 'string', default: '10' },
    'max-megapixels': { type: 'string', default: '25' },
    'max-size': { type: 'string', default: '512' },
    'max-iterations': { type: 'string', default: '300' },
  },
});
if (!args.styles) {
  console.error('usage: node examples/server/server.mjs --styles DIR [--port 8080] [--max-queue 8] [--max-body-mb 10] [--max-megapixels 25] [--max-size 512]');
  process.exit(2);
}

/** Limits: every one is checked before the work it guards. */
const LIMITS = {
  maxQueue: Number(args['max-queue']),
  maxBodyBytes: Number(args['max-body-mb']) * 2 ** 20,
  maxPixels: Number(args['max-megapixels']) * 1e6,
  maxSize: Number(args['max-size']),
  maxIterations: Number(args['max-iterations']),
};

await ready();
const stylizer = await createStylizer({ maxQueue: LIMITS.maxQueue, maxPixels: LIMITS.maxPixels });

// Styles are prepared once; they are kept at no more than the largest output size (a style is used at the
// output's size), so a large painting does not hold a full-resolution copy on the backend.
const styles = new Map();
for (const file of readdirSync(args.styles).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort()) {
  const img = await readImage(join(args.styles, file));
  const full = toImageTensor(img);
  const [h, w] = fitSize(full.shape[1], full.shape[2], Math.min(LIMITS.maxSize, Math.max(full.shape[1], full.shape[2])));
  const small = resizeImage(full, h, w);
  full.dispose();
  styles.set(basename(file, extname(file)), await stylizer.prepareStyle(small));
  small.dispose();
}

let served = 0;

/** Error codes that are the client's fault, and their HTTP status. */
const STATUS = {
  INVALID_IMAGE: 400,
  UNSUPPORTED_IMAGE: 400,
  INVALID_OPTION: 400,
  UNKNOWN_LAYER: 400,
  IMAGE_TOO_LARGE: 413,
  OUT_OF_MEMORY: 413,
  QUEUE_FULL: 503,
};

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function sendJson(res, status, body, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Reads the body, refusing (413) as soon as it passes the cap: a declared or actual length beyond it. */
function readBody(req, cap) {
  const declared = Number(req.headers['content-length']);
  if (declared > cap) return Promise.reject(new HttpError(413, 'BODY_TOO_LARGE', `The upload is ${declared} bytes; the limit is ${cap}.`));
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > cap) {
        reject(new HttpError(413, 'BODY_TOO_LARGE', `The upload passed the ${cap}-byte limit.`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function intParam(url, name, def, min, max) {
  const raw = url.searchParams.get(name);
  if (raw === null) return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new HttpError(400, 'INVALID_OPTION', `${name} is ${JSON.stringify(raw)}; expected an integer in [${min}, ${max}].`);
  return v;
}

async function handleStylize(req, res, url) {
  const name = url.searchParams.get('style') ?? '';
  const style = styles.get(name);
  if (!style) throw new HttpError(404, 'UNKNOWN_STYLE', `No style ${JSON.stringify(name)}; GET /styles lists them.`);
  const size = intParam(url, 'size', 256, 16, LIMITS.maxSize);
  const iterations = intParam(url, 'iterations', 100, 1, LIMITS.maxIterations);
  const body = await readBody(req, LIMITS.maxBodyBytes);
  // decodeImage reads the width and height from the header first and refuses images over the limit before
  // decoding a single pixel.
  const content = decodeImage(body, 'the upload', { maxPixels: LIMITS.maxPixels });
  // The run stops within one network pass when the client goes away (or the request errors).
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new Error('the client disconnected'));
  };
  res.on('close', onClose);
  try {
    const result = await stylizer.stylize(content, style, { size, iterations, signal: controller.signal });
    try {
      const { data, width, height } = await result.toPixels();
      const png = new PNG({ width, height });
      png.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      res.writeHead(200, { 'content-type': 'image/png', 'x-iterations': String(result.iterations), 'x-queued-ms': result.timings.queuedMs.toFixed(0) });
      png.pack().pipe(res); // streamed as it is encoded
      served++;
    } finally {
      result.dispose();
    }
  } finally {
    res.off('close', onClose);
  }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  try {
    if (url.pathname === '/health' && req.method === 'GET') {
      return sendJson(res, 200, { tensors: tf.memory().numTensors, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20), queued: stylizer.queued, served });
    }
    if (url.pathname === '/styles' && req.method === 'GET') return sendJson(res, 200, { styles: [...styles.keys()] });
    if (url.pathname === '/stylize') {
      if (req.method !== 'POST') throw new HttpError(405, 'METHOD', 'POST an image to /stylize.');
      return await handleStylize(req, res, url);
    }
    throw new HttpError(404, 'NOT_FOUND', `No ${url.pathname}; try POST /stylize, GET /styles, GET /health.`);
  } catch (e) {
    if (isStyleTransferError(e, 'ABORTED')) return; // the client left: nobody to answer
    if (e instanceof HttpError) return sendJson(res, e.status, { error: { code: e.code, message: e.message } });
    if (isStyleTransferError(e)) {
      const status = STATUS[e.code] ?? 500;
      return sendJson(res, status, { error: { code: e.code, message: e.message } }, status === 503 ? { 'retry-after': '5' } : {});
    }
    console.error(e);
    sendJson(res, 500, { error: { code: 'INTERNAL', message: 'Internal error.' } });
  }
});

server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  // The first line says where to connect (the load test reads it when started with --port 0).
  console.log(JSON.stringify({ event: 'listening', url: `http://${args.host}:${port}`, styles: [...styles.keys()] }));
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    stylizer.dispose();
    process.exit(0);
  });
}
