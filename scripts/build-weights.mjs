#!/usr/bin/env node
// Converts a TensorFlow.js layers-model VGG-19 (Keras names block1_conv1…) into the package's own weight format:
// the 16 conv layers only, canonical names conv1_1…conv5_4, a manifest with offsets and the sha256 of each shard.
//
//   node scripts/build-weights.mjs [--source DIR|URL] [--exact DIR|URL|none] [--out DIR]
//                                  [--float-precision float32|float16] [--shard-mb N] [--if-missing]
//
// Defaults: --source ../shared/vgg19/keras-uint8, --exact ../shared/vgg19/keras-float32-block1-3 (tensors found
// there replace the source's, since they are exact float32), --out weights/, float32, 4 MiB shards.
// Stored precision: a uint8-quantised source tensor is kept as its bytes + scale/min (lossless w.r.t. its source);
// a float32 source tensor is kept as float32 (default) or float16 (--float-precision float16).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONV_LAYERS = [
  [1, 2], [2, 2], [3, 4], [4, 4], [5, 4],
].flatMap(([block, n]) => Array.from({ length: n }, (_, i) => ({ keras: `block${block}_conv${i + 1}`, name: `conv${block}_${i + 1}` })));

function parseArgs(argv) {
  const opts = {
    source: join(root, '..', 'shared', 'vgg19', 'keras-uint8'),
    exact: join(root, '..', 'shared', 'vgg19', 'keras-float32-block1-3'),
    out: join(root, 'weights'),
    floatPrecision: 'float32',
    shardMb: 4,
    ifMissing: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--source') opts.source = next();
    else if (a === '--exact') opts.exact = next();
    else if (a === '--out') opts.out = resolve(next());
    else if (a === '--float-precision') opts.floatPrecision = next();
    else if (a === '--shard-mb') opts.shardMb = Number(next());
    else if (a === '--if-missing') opts.ifMissing = true;
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 11).join('\n'));
      process.exit(0);
    } else fail(`unknown option ${a} (see --help)`);
  }
  if (!['float32', 'float16'].includes(opts.floatPrecision)) fail('--float-precision must be float32 or float16');
  if (!(opts.shardMb > 0)) fail('--shard-mb must be a positive number');
  return opts;
}

function fail(msg) {
  console.error(`build-weights: ${msg}`);
  process.exit(2);
}

const isUrl = (s) => /^https?:\/\//.test(s);

async function readBytes(base, file) {
  if (isUrl(base)) {
    const url = new URL(file, base.endsWith('/') ? base : `${base}/`);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url} -> ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const path = join(base, file);
  if (!existsSync(path)) throw new Error(`missing file ${path}`);
  return new Uint8Array(readFileSync(path));
}

function bytesPerValue(entry) {
  const q = entry.quantization;
  if (q) return { uint8: 1, uint16: 2, float16: 2 }[q.dtype] ?? fail(`unsupported quantization ${q.dtype}`);
  return { float32: 4, int32: 4, float16: 2 }[entry.dtype] ?? fail(`unsupported dtype ${entry.dtype}`);
}

const size = (shape) => shape.reduce((a, b) => a * b, 1);

/** Reads every tensor of a layers-model manifest that is available (groups whose shards are all present). */
async function readModel(base) {
  const model = JSON.parse(new TextDecoder().decode(await readBytes(base, 'model.json')));
  if (!Array.isArray(model.weightsManifest)) fail(`${base}/model.json has no weightsManifest: not a TF.js model`);
  const tensors = new Map();
  for (const group of model.weightsManifest) {
    // Tensors lie back to back across the group's shards; read shards lazily and stop at the first missing one,
    // so a model whose later shards (e.g. the FC layers) are absent still yields its leading tensors.
    const chunks = [];
    let available = 0;
    let missing = false;
    let offset = 0;
    for (const entry of group.weights) {
      const n = size(entry.shape) * bytesPerValue(entry);
      while (!missing && available < offset + n && chunks.length < group.paths.length) {
        try {
          const c = await readBytes(base, group.paths[chunks.length]);
          chunks.push(c);
          available += c.length;
        } catch {
          missing = true;
        }
      }
      if (available < offset + n) break;
      tensors.set(entry.name, { entry, bytes: null, offset, byteLength: n, chunks });
      offset += n;
    }
    const all = concat(chunks);
    for (const t of tensors.values()) if (t.chunks === chunks) t.bytes = all.subarray(t.offset, t.offset + t.byteLength);
  }
  return { model, tensors };
}

function concat(chunks) {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

function toFloat32(t) {
  const { entry, bytes } = t;
  const n = size(entry.shape);
  const out = new Float32Array(n);
  const q = entry.quantization;
  if (!q && entry.dtype === 'float32') return new Float32Array(bytes.slice().buffer);
  if (q && (q.dtype === 'uint8' || q.dtype === 'uint16')) {
    const src = q.dtype === 'uint8' ? bytes : new Uint16Array(bytes.slice().buffer);
    for (let i = 0; i < n; i++) out[i] = src[i] * q.scale + q.min;
    return out;
  }
  const half = new Uint16Array(bytes.slice().buffer);
  for (let i = 0; i < n; i++) out[i] = halfToFloat(half[i]);
  return out;
}

function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function floatToHalf(v) {
  const f32 = new Float32Array([v]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >> 16) & 0x8000;
  let exp = ((x >> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant = (mant | 0x800000) >> (1 - exp);
    return sign | ((mant + 0x1000) >> 13);
  }
  const h = sign | (exp << 10) | (mant >> 13);
  return (mant & 0x1000) ? h + 1 : h; // round half up on the dropped bits
}

/** Chooses how a tensor is stored and returns { bytes, dtype, quantization? }. */
function encode(t, floatPrecision) {
  const q = t.entry.quantization;
  if (q && q.dtype === 'uint8') {
    return { bytes: t.bytes, dtype: 'float32', quantization: { dtype: 'uint8', scale: q.scale, min: q.min } };
  }
  const values = toFloat32(t);
  if (floatPrecision === 'float16') {
    const half = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) half[i] = floatToHalf(values[i]);
    return { bytes: new Uint8Array(half.buffer), dtype: 'float32', quantization: { dtype: 'float16' } };
  }
  return { bytes: new Uint8Array(values.buffer), dtype: 'float32' };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const manifestPath = join(opts.out, 'manifest.json');
  if (opts.ifMissing && existsSync(manifestPath)) {
    console.log(`build-weights: ${manifestPath} exists, skipping (run "npm run weights" to rebuild)`);
    return;
  }
  if (opts.ifMissing && !isUrl(opts.source) && !existsSync(join(opts.source, 'model.json'))) {
    console.warn(`build-weights: no source model at ${opts.source}; skipping. Run "npm run weights -- --source DIR|URL".`);
    return;
  }
  const source = await readModel(opts.source);
  const exact = opts.exact === 'none' ? null : await readModel(opts.exact).catch((e) => {
    console.warn(`build-weights: exact float32 weights not used (${e.message})`);
    return null;
  });

  const layers = [];
  const blobs = [];
  let offset = 0;
  const report = [];
  for (const { keras, name } of CONV_LAYERS) {
    const layer = { name };
    for (const part of ['kernel', 'bias']) {
      const key = `${keras}/${part}`;
      const fromExact = exact?.tensors.get(key);
      const t = fromExact ?? source.tensors.get(key);
      if (!t) fail(`tensor ${key} not found in ${opts.source}${exact ? ` or ${opts.exact}` : ''}`);
      const enc = encode(t, opts.floatPrecision);
      layer[part] = { shape: t.entry.shape, dtype: enc.dtype, offset, byteLength: enc.bytes.length, ...(enc.quantization ? { quantization: enc.quantization } : {}), origin: fromExact ? 'exact' : 'source' };
      blobs.push(enc.bytes);
      offset += enc.bytes.length;
      report.push(`${key.padEnd(20)} ${String(t.entry.shape).padEnd(14)} ${fromExact ? 'exact float32' : 'source'} -> ${enc.quantization?.dtype ?? 'float32'}`);
    }
    const [kh, kw, cin, cout] = layer.kernel.shape;
    if (kh !== 3 || kw !== 3 || layer.bias.shape[0] !== cout) fail(`${keras} has unexpected shape ${layer.kernel.shape}`);
    layers.push(layer);
  }

  const all = concat(blobs);
  const shardBytes = Math.floor(opts.shardMb * 1024 * 1024);
  const nShards = Math.ceil(all.length / shardBytes);
  const tmp = `${opts.out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const shards = [];
  for (let i = 0; i < nShards; i++) {
    const bytes = all.subarray(i * shardBytes, Math.min(all.length, (i + 1) * shardBytes));
    const file = `vgg19-shard${i + 1}of${nShards}.bin`;
    writeFileSync(join(tmp, file), bytes);
    shards.push({ file, byteLength: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  const manifest = {
    format: 'neural-style-tfjs/weights',
    formatVersion: 1,
    architecture: 'vgg19-conv',
    description: 'VGG-19 (Keras ImageNet release) convolutional layers conv1_1…conv5_4, HWIO kernels, caffe preprocessing',
    preprocessing: { channelOrder: 'BGR', mean: [103.939, 116.779, 123.68], scale: 255 },
    totalBytes: all.length,
    weightsSha256: createHash('sha256').update(all).digest('hex'),
    layers,
    shards,
  };
  writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  // Swap the finished set in: old shards are removed only once the new set is complete.
  mkdirSync(opts.out, { recursive: true });
  for (const f of readdirSync(opts.out)) if (/^vgg19-shard\d+of\d+\.bin$/.test(f) || f === 'manifest.json') rmSync(join(opts.out, f));
  for (const f of readdirSync(tmp)) renameSync(join(tmp, f), join(opts.out, f));
  rmSync(tmp, { recursive: true, force: true });
  console.log(report.join('\n'));
  console.log(`build-weights: wrote ${nShards} shards, ${(all.length / 1e6).toFixed(2)} MB, to ${opts.out} (sha256 ${manifest.weightsSha256.slice(0, 12)}…)`);
}

main().catch((e) => fail(e.stack ?? String(e)));
