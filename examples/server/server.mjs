#!/usr/bin/env node
/**
 * A small style-transfer server on Node's own `http` (no framework): one stylizer session on a worker thread
 * shared by every request (so this thread only parses, decodes and answers: `GET /health` stays fast while a run
 * works), styles prepared once at start-up, the session's queue in front of the backend, input limits checked
 * before any decoding, the run aborted when the client goes away, and the result streamed back as a PNG.
 * `--in-thread` runs the session on this thread instead (to compare; each network pass then blocks every request).
 *
 *   npm run build
 *   node examples/server/server.mjs --styles ../shared/images --port 8080
 *   curl --data-binary @photo.jpg -o out.png 'http://127.0.0.1:8080/stylize?style=starry_night&size=256'
 *
 * Endpoints:
 *   POST /stylize?style=NAME[&size=N][&iterations=N]   body: a PNG or JPEG (the content); answers image/png
 *   GET  /styles                                       the style names
 *   GET  /health                                       { tensors, rssMB, queued, served } (tensors: the worker's,
 *                                                      as of its last answer when it is busy in a pass)
 * Errors answer JSON { error: { code, message } } with 400 (bad input), 404 (unknown style), 405, 413 (too large),
 * 503 (queue full, with Retry-After) or 500. See docs/serving.md.
 */
import { createServer } from 'node:http';
import { readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import * as tf from '@tensorflow/tfjs-core';
import { createStylizer, createWorkerStylizer, decodeImageAsync, imageDecoder, readImage, ready, isStyleTransferError } from 'neural-style-tfjs/node';

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
    'in-thread': { type: 'boolean', default: false },
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

const inThread = args['in-thread'];
const config = { maxQueue: LIMITS.maxQueue, maxPixels: LIMITS.maxPixels };
// The session runs on a worker thread with its own TF.js and backend; this thread never touches TF.js.
const stylizer = inThread ? (await ready(), await createStylizer(config)) : await createWorkerStylizer(config);

/** Area-averaged downscale of RGBA pixels to at most `longest` px on the longer side, as RGB (no TF.js here). */
function shrink({ data, width, height }, longest) {
  const s = Math.min(1, longest / Math.max(width, height));
  const w = Math.max(1, Math.round(width * s));
  const h = Math.max(1, Math.round(height * s));
  const out = new Uint8Array(w * h * 3);
  const sum = new Float64Array(w * h * 4);
  for (let y = 0; y < height; y++) {
    const oy = Math.min(h - 1, Math.floor((y * h) / height));
    for (let x = 0; x < width; x++) {
      const o = (oy * w + Math.min(w - 1, Math.floor((x * w) / width))) * 4;
      const i = (y * width + x) * 4;
      sum[o] += data[i];
      sum[o + 1] += data[i + 1];
      sum[o + 2] += data[i + 2];
      sum[o + 3]++;
    }
  }
  for (let k = 0; k < w * h; k++) for (let c = 0; c < 3; c++) out[k * 3 + c] = Math.round(sum[k * 4 + c] / sum[k * 4 + 3]);
  return { data: out, width: w, height: h, channels: 3 };
}

// Styles are prepared once; they are kept at no more than the largest output size (a style is used at the
// output's size), so a large painting does not hold a full-resolution copy on the backend.
const styles = new Map();
for (const file of readdirSync(args.styles).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).sort()) {
  const img = await readImage(join(args.styles, file));
  styles.set(basename(file, extname(file)), await stylizer.prepareStyle(shrink(img, LIMITS.maxSize)));
}

let served = 0;
/** The worker's tensor count as of its last answer (it answers between network passes). */
let lastMemory = { numTensors: 0 };
let asking;
/** The session's tensors, never waited on: the worker's last answer, and a new question if none is pending. */
function sessionTensors() {
  if (inThread) return tf.memory().numTensors;
  asking ??= stylizer.memory().then((m) => (lastMemory = m), () => undefined).finally(() => (asking = undefined));
  return lastMemory.numTensors;
}
if (!inThread) lastMemory = await stylizer.memory();

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

/** The client went away before its answer: logged as one line, nothing to answer. */
class ClientGone extends Error {}

/**
 * Reads the body, refusing (413) a declared length over the cap at once. A streamed (chunked) body that passes
 * the cap is no longer kept but read to its end, so the client, still sending, gets the 413 instead of a reset;
 * one that goes on past 4x the cap is cut off. A client that leaves mid-upload rejects with ClientGone.
 */
function readBody(req, cap) {
  const declared = Number(req.headers['content-length']);
  if (declared > cap) return Promise.reject(new HttpError(413, 'BODY_TOO_LARGE', `The upload is ${declared} bytes; the limit is ${cap}.`));
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const tooLarge = () => new HttpError(413, 'BODY_TOO_LARGE', `The upload passed the ${cap}-byte limit.`);
    req.on('data', (c) => {
      size += c.length;
      if (size <= cap) chunks.push(c);
      else if (size > 4 * cap) {
        chunks.length = 0;
        req.pause();
        reject(Object.assign(tooLarge(), { closeAfter: true }));
      }
    });
    req.on('end', () => (size > cap ? reject(tooLarge()) : resolve(new Uint8Array(Buffer.concat(chunks)))));
    req.on('close', () => {
      if (!req.complete) reject(new ClientGone(`the client left during the upload (after ${size} bytes)`));
    });
    req.on('error', () => undefined); // 'close' follows: handled there
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
  // The run stops within one network pass when the client goes away; listened for from the start, as the
  // client may leave while its upload is read or decoded.
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new Error('the client disconnected'));
  };
  res.on('close', onClose);
  try {
    const body = await readBody(req, LIMITS.maxBodyBytes);
    // The width and height are read from the header first and images over the limit refused before a single
    // pixel is decoded; with sharp installed the decoding runs off this thread (docs/serving.md).
    const content = await decodeImageAsync(body, 'the upload', { maxPixels: LIMITS.maxPixels });
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
    sessionTensors(); // a fresh count for the next /health
  }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  try {
    if (url.pathname === '/health' && req.method === 'GET') {
      return sendJson(res, 200, { tensors: sessionTensors(), rssMB: Math.round(process.memoryUsage().rss / 2 ** 20), queued: stylizer.queued, served });
    }
    if (url.pathname === '/styles' && req.method === 'GET') return sendJson(res, 200, { styles: [...styles.keys()] });
    if (url.pathname === '/stylize') {
      if (req.method !== 'POST') throw new HttpError(405, 'METHOD', 'POST an image to /stylize.');
      return await handleStylize(req, res, url);
    }
    throw new HttpError(404, 'NOT_FOUND', `No ${url.pathname}; try POST /stylize, GET /styles, GET /health.`);
  } catch (e) {
    if (isStyleTransferError(e, 'ABORTED')) return; // the client left: nobody to answer
    if (e instanceof ClientGone) return console.log(JSON.stringify({ event: 'client-left', path: url.pathname, why: e.message }));
    if (e instanceof HttpError) {
      sendJson(res, e.status, { error: { code: e.code, message: e.message } }, e.closeAfter ? { connection: 'close' } : {});
      if (e.closeAfter) res.on('finish', () => req.destroy());
      return;
    }
    if (isStyleTransferError(e)) {
      const status = STATUS[e.code] ?? 500;
      return sendJson(res, status, { error: { code: e.code, message: e.message } }, status === 503 ? { 'retry-after': '5' } : {});
    }
    console.error(e);
    sendJson(res, 500, { error: { code: 'INTERNAL', message: 'Internal error.' } });
  }
});

const decoderName = await imageDecoder();
server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  // The first line says where to connect (the load test reads it when started with --port 0).
  console.log(JSON.stringify({ event: 'listening', url: `http://${args.host}:${port}`, styles: [...styles.keys()], session: inThread ? 'in-thread' : 'worker', decoder: decoderName }));
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    stylizer.dispose();
    process.exit(0);
  });
}
