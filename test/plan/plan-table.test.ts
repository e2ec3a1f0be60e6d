/**
 * The run plan as a table: rows of plain inputs (backend facts, memory budget, size, optimiser, tile option, taps,
 * host memory) and the plan they must give (each scale's size, tiles, L-BFGS history and where the optimiser's
 * state lives), or the error code and the size it suggests. Pure functions: no backend, no weights, milliseconds.
 * A change to a tuning constant (src/plan/tuning.ts) shows here as the rows it moves.
 */
import { describe, expect, it } from 'vitest';
import { resolveLayer } from '../../src/core/layers.js';
import { isStyleTransferError } from '../../src/errors.js';
import { kernelsFor } from '../../src/kernels/index.js';
import { webglDeviceLimits } from '../../src/kernels/webgl.js';
import { webgpuDeviceLimits } from '../../src/kernels/webgpu.js';
import { planFromFacts } from '../../src/plan/plan.js';
import type { BackendFacts, RunPlan, ScalePlan } from '../../src/plan/types.js';
import { resolveOptions, type StylizeOptions } from '../../src/stylize/options.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** The backends a row can name, as the facts the session reads from their kernels. */
const BACKENDS = {
  /** WASM: its 4 GiB heap, Winograd's weights counted per scale. */
  wasm: { backend: 'wasm', memoryLimit: 4 * GiB, convBytes: kernelsFor('wasm', { winograd: true }).preparedConvBytes },
  /** WASM with `winograd: false`: no prepared conv weights. */
  'wasm-plain': { backend: 'wasm', memoryLimit: 4 * GiB, convBytes: kernelsFor('wasm', { winograd: false }).preparedConvBytes },
  /** WebGL with an 8192-texel texture limit and the default 2 GiB budget. */
  webgl: { backend: 'webgl', memoryLimit: undefined, deviceLimits: webglDeviceLimits(8192) },
  /** WebGL on a smaller GPU: 4096 texels. */
  'webgl-4096': { backend: 'webgl', memoryLimit: undefined, deviceLimits: webglDeviceLimits(4096) },
  /** WebGPU with a 128 MiB storage-buffer binding limit. */
  webgpu: { backend: 'webgpu', memoryLimit: undefined, deviceLimits: webgpuDeviceLimits({ maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB }) },
  /** tfjs-node / CPU: no cap, no device limit. */
  cpu: { backend: 'cpu', memoryLimit: undefined },
} satisfies Record<string, Omit<BackendFacts, 'inUseBytes' | 'hostMemory'>>;

interface Row {
  name: string;
  on: keyof typeof BACKENDS;
  /** The content image as given (width, height); the style image is 512x512. */
  content: [number, number];
  options: StylizeOptions;
  taps?: string[];
  /** `Platform.hostMemory`; default undefined (unknown). */
  hostMemory?: number;
  /** Bytes the backend holds already; default 0. */
  inUse?: number;
  /**
   * Each scale as `WxH`, then `whole` or `tiles NxS` (N tiles of interior S px), `hN` (L-BFGS pairs),
   * `history:host` / `state:host` where they live in JS memory, `plain-convs` where Winograd's weights are not
   * prepared. Or the error: its code and `details.fitSize` / `details.fitTile`.
   */
  expect: { scales: string[]; tapsInPass?: boolean; warnings?: RegExp[] } | { error: string; fitSize?: number; fitTile?: number };
}

const describeScale = (s: ScalePlan): string =>
  [
    `${s.width}x${s.height}`,
    s.tiling ? `tiles ${s.tiling.tiles.length}x${s.tiling.tileSize}` : 'whole',
    `h${s.historySize}`,
    ...(s.historyOn === 'host' && s.stateOn !== 'host' ? ['history:host'] : []),
    ...(s.stateOn === 'host' ? ['state:host'] : []),
    ...(s.prepareConvs ? [] : ['plain-convs']),
  ].join(' ');

function plan(row: Row): RunPlan {
  const o = resolveOptions(row.options, 1);
  const facts: BackendFacts = { ...BACKENDS[row.on], inUseBytes: row.inUse ?? 0, hostMemory: row.hostMemory };
  return planFromFacts({ o, content: { width: row.content[0], height: row.content[1] }, styles: [{ height: 512, width: 512 }], tapPoints: (row.taps ?? []).map((t) => resolveLayer(t)) }, facts);
}

const SHALLOW = { styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'], contentLayers: ['relu3_1'] };

const ROWS: Row[] = [
  // ---- WASM: a 4 GiB heap, Winograd's weights counted ----
  { name: 'wasm 512: whole, the full history', on: 'wasm', content: [512, 384], options: { size: 512 }, expect: { scales: ['512x384 whole h50'] } },
  {
    name: 'wasm 1024: whole, history shortened to fit (warned)', on: 'wasm', content: [1024, 768], options: { size: 1024 },
    expect: { scales: ['1024x768 whole h35'], warnings: [/history was shortened from 50 to 35 pairs/] },
  },
  {
    name: 'wasm 1024 without Winograd: the full history fits', on: 'wasm-plain', content: [1024, 768], options: { size: 1024 },
    expect: { scales: ['1024x768 whole h50'] },
  },
  {
    name: 'wasm 1056: Winograd\'s weights alone would tile it, so plain convs (warned)', on: 'wasm', content: [1056, 1056], options: { size: 1056, scales: [1] },
    expect: { scales: ['1056x1056 whole h7 plain-convs'], warnings: [/prepared convolutions \(Winograd's weights\) are not used/] },
  },
  {
    name: 'wasm 2048: the default schedule, the last scale tiled with its history in JS memory', on: 'wasm', content: [2048, 1536], options: { size: 2048 },
    expect: { scales: ['512x384 whole h50', '1024x768 whole h35', '2048x1536 tiles 12x512 h21 history:host'], warnings: [/history \(21 pairs\) is kept in JS memory/] },
  },
  {
    name: 'wasm 2048 square, three scales: 16 pairs of 4/3-image vectors in the 2 GiB host history', on: 'wasm', content: [2048, 2048], options: { size: 2048, scales: [0.25, 0.5, 1], iterations: [1, 1, 1] },
    expect: { scales: ['512x512 whole h50', '1024x1024 whole h3', '2048x2048 tiles 16x512 h16 history:host'] },
  },
  {
    name: 'wasm 4096: the whole optimiser state in JS memory, 512 px tiles', on: 'wasm', content: [4000, 3000], options: { size: 4096 },
    expect: { scales: ['512x384 whole h50', '1024x768 whole h35', '2048x1536 tiles 12x512 h21 history:host', '4096x3072 tiles 48x512 h5 state:host'], warnings: [/optimiser's state .* is kept in JS memory/] },
  },
  {
    name: 'wasm 4096 with 8 GiB of host memory: as with it unknown', on: 'wasm', content: [4000, 3000], options: { size: 4096 }, hostMemory: 8 * GiB,
    expect: { scales: ['512x384 whole h50', '1024x768 whole h35', '2048x1536 tiles 12x512 h21 history:host', '4096x3072 tiles 48x512 h5 state:host'] },
  },
  { name: 'wasm 4096 with 1 GiB of host memory: the state does not fit half of it', on: 'wasm', content: [4000, 3000], options: { size: 4096 }, hostMemory: 1 * GiB, expect: { error: 'OUT_OF_MEMORY' } },
  {
    name: 'wasm 4096 with Adam (no state in JS memory): OUT_OF_MEMORY, with the size that fits', on: 'wasm', content: [4000, 3000], options: { size: 4096, optimizer: 'adam' },
    expect: { error: 'OUT_OF_MEMORY', fitSize: 3447 },
  },
  {
    name: 'wasm 2048 with Adam: the last scale in 640 px tiles', on: 'wasm', content: [2048, 1536], options: { size: 2048, optimizer: 'adam' },
    expect: { scales: ['512x384 whole h0', '1024x768 whole h0', '2048x1536 tiles 12x640 h0'] },
  },
  { name: 'wasm 2048, tile: false: OUT_OF_MEMORY, with the size that fits whole', on: 'wasm', content: [2048, 1536], options: { size: 2048, tile: false }, expect: { error: 'OUT_OF_MEMORY', fitSize: 1199 } },
  { name: 'wasm 1024, tile: 256: the tiles asked for, full history', on: 'wasm', content: [1024, 768], options: { size: 1024, tile: 256 }, expect: { scales: ['1024x768 tiles 12x256 h50'] } },
  { name: 'wasm 1024, tile: { size: 512, halo: 32 }', on: 'wasm', content: [1024, 768], options: { size: 1024, tile: { size: 512, halo: 32 } }, expect: { scales: ['1024x768 tiles 4x512 h50'] } },
  {
    name: 'wasm 1024 in a 1 GiB budget: small tiles with the state in JS memory', on: 'wasm', content: [1024, 768], options: { size: 1024, memoryBudget: 1 * GiB },
    expect: { scales: ['1024x768 tiles 24x192 h50 state:host'] },
  },
  {
    name: 'wasm 1024 in a 1 GiB budget, 100 pairs asked: as many as the 2 GiB host history holds', on: 'wasm', content: [1024, 768], options: { size: 1024, memoryBudget: 1 * GiB, lbfgs: { historySize: 100 } },
    expect: { scales: ['1024x768 tiles 24x192 h85 state:host'] },
  },
  { name: 'wasm 1024 in a 600 MiB budget: not even the smallest tiles fit', on: 'wasm', content: [1024, 768], options: { size: 1024, memoryBudget: 600 * MiB }, expect: { error: 'OUT_OF_MEMORY', fitSize: 967 } },
  { name: 'wasm 1024 in 300 MiB, tile: false', on: 'wasm', content: [1024, 768], options: { size: 1024, memoryBudget: 300 * MiB, tile: false }, expect: { error: 'OUT_OF_MEMORY', fitSize: 79 } },
  { name: 'wasm 1024 with 3.5 GiB already in use', on: 'wasm', content: [1024, 768], options: { size: 1024 }, inUse: 3.5 * GiB, expect: { error: 'OUT_OF_MEMORY', fitSize: 536 } },
  {
    name: 'wasm 3000, shallow layers: 1024 px tiles at the middle scale', on: 'wasm', content: [3000, 2000], options: { size: 3000, ...SHALLOW },
    expect: { scales: ['750x500 whole h50', '1500x1000 tiles 2x1024 h11', '3000x2000 tiles 24x512 h11 history:host'] },
  },

  // ---- Taps: they need whole activations ----
  { name: 'wasm 512 with a tap: it observes the objective\'s pass', on: 'wasm', content: [512, 384], options: { size: 512 }, taps: ['relu1_1'], expect: { scales: ['512x384 whole h50'], tapsInPass: true } },
  { name: 'wasm 1024 with a tap: holding it does not fit, a pass of its own', on: 'wasm', content: [1024, 768], options: { size: 1024 }, taps: ['relu1_1'], expect: { scales: ['1024x768 whole h35'], tapsInPass: false } },
  { name: 'wasm 2048 with a tap: never tiled, so OUT_OF_MEMORY', on: 'wasm', content: [2048, 1536], options: { size: 2048 }, taps: ['relu1_1'], expect: { error: 'OUT_OF_MEMORY', fitSize: 1199 } },
  { name: 'tile asked for with a tap', on: 'wasm', content: [1024, 768], options: { size: 1024, tile: 256 }, taps: ['relu1_1'], expect: { error: 'INVALID_OPTION' } },
  { name: 'tile asked for with normalizeGradients', on: 'wasm', content: [1024, 768], options: { size: 1024, tile: 256, normalizeGradients: true }, expect: { error: 'INVALID_OPTION' } },

  // ---- GPUs: a 2 GiB default budget and a per-allocation limit ----
  {
    name: 'webgl 1024: the whole image\'s im2col texture is over 8192 texels, so 512 px tiles', on: 'webgl', content: [1024, 768], options: { size: 1024 },
    expect: { scales: ['1024x768 tiles 4x512 h11'] },
  },
  { name: 'webgl 1024 with an 8 GiB budget: tiles still, the full history', on: 'webgl', content: [1024, 768], options: { size: 1024, memoryBudget: 8 * GiB }, expect: { scales: ['1024x768 tiles 4x512 h50'] } },
  {
    name: 'webgl 2048: 256 px tiles with the state in JS memory', on: 'webgl', content: [2048, 1536], options: { size: 2048 },
    expect: { scales: ['512x384 whole h50', '1024x768 tiles 4x512 h11', '2048x1536 tiles 48x256 h21 state:host'] },
  },
  { name: 'webgl 2048, tile: false: DEVICE_LIMIT names a size and a tile that fit', on: 'webgl', content: [2048, 1536], options: { size: 2048, tile: false }, expect: { error: 'DEVICE_LIMIT', fitSize: 682, fitTile: 512 } },
  { name: 'webgl (4096 texels) 1024: no tile\'s crop fits either', on: 'webgl-4096', content: [1024, 768], options: { size: 1024 }, expect: { error: 'DEVICE_LIMIT', fitSize: 410, fitTile: undefined } },
  { name: 'webgl (4096 texels) 1024 with a tap: no tile suggested', on: 'webgl-4096', content: [1024, 768], options: { size: 1024 }, taps: ['relu1_1'], expect: { error: 'DEVICE_LIMIT', fitSize: 341, fitTile: undefined } },
  { name: 'webgpu 1024: a 64-channel activation is over 128 MiB, so tiles', on: 'webgpu', content: [1024, 768], options: { size: 1024 }, expect: { scales: ['1024x768 tiles 4x512 h11'] } },
  { name: 'webgpu 2048, tile: false: DEVICE_LIMIT', on: 'webgpu', content: [2048, 1536], options: { size: 2048, tile: false }, expect: { error: 'DEVICE_LIMIT', fitSize: 724, fitTile: 512 } },

  // ---- No cap (tfjs-node, CPU) ----
  { name: 'cpu 4096: nothing bounds it, all whole', on: 'cpu', content: [4000, 3000], options: { size: 4096 }, expect: { scales: ['512x384 whole h50', '1024x768 whole h50', '2048x1536 whole h50', '4096x3072 whole h50'] } },
  { name: 'cpu 512 with Adam: no history', on: 'cpu', content: [512, 384], options: { size: 512, optimizer: 'adam' }, expect: { scales: ['512x384 whole h0'] } },
];

describe('the run plan, row by row', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_, row) => {
    let got: RunPlan | undefined;
    let error: unknown;
    try {
      got = plan(row);
    } catch (e) {
      error = e;
    }
    const ex = row.expect;
    if ('error' in ex) {
      expect(got, 'planned instead of failing').toBeUndefined();
      expect(isStyleTransferError(error) ? error.code : String(error)).toBe(ex.error);
      const details = (error as { details?: Record<string, unknown> }).details ?? {};
      if ('fitSize' in ex) expect(details.fitSize).toBe(ex.fitSize);
      if ('fitTile' in ex) expect(details.fitTile).toBe(ex.fitTile);
      return;
    }
    if (error) throw error;
    expect(got!.scales.map(describeScale)).toEqual(ex.scales);
    if (ex.tapsInPass !== undefined) expect(got!.tapsInPass).toBe(ex.tapsInPass);
    for (const w of ex.warnings ?? []) expect(got!.warnings).toContainEqual(expect.stringMatching(w));
  });
});

