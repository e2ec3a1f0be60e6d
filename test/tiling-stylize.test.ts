/**
 * Tiling through stylize(): forced tiles give the same optimisation as the whole image (loss within 2% after the
 * same iterations, in practice far closer), leave no seams (the output's edge energy along tile borders matches the
 * untiled output's at the same places), report tiles and scales in progress and the result, are chosen
 * automatically when the memory plan says the whole image does not fit, and leak nothing (also when aborted).
 * Pictures are synthetic, made here; layers stop at relu3_1 so that a 96 px image has halos smaller than itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVgg19, ready, stylize, StyleTransferError, type StylizeRequest, type StylizeResult, type TileInfo, type Vgg19 } from '../src/adapters/node.js';
import { resolveOptions } from '../src/stylize/options.js';
import { planRun } from '../src/stylize/plan.js';
import { configurePlatform, getPlatform } from '../src/platform.js';
import { synthetic } from './helpers/synthetic.js';

let model: Vgg19;
let content: tf.Tensor3D;
let style: tf.Tensor3D;
beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  content = tf.tensor3d(synthetic('held-out photo', 72, 96), [72, 96, 3]);
  style = tf.tensor3d(synthetic('held-out painting', 64, 64), [64, 64, 3]);
});
afterAll(() => {
  model?.dispose();
  tf.dispose([content, style]);
});

const SHALLOW = { styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'], contentLayers: ['relu3_1'] };
const run = (extra: Partial<StylizeRequest> = {}): Promise<StylizeResult> =>
  stylize({ content, style, model, size: 96, iterations: 5, ...SHALLOW, ...extra });

/** Mean squared neighbour difference of an image [H,W,3] across the given row and column borders, and elsewhere. */
function edgeEnergy(img: Float32Array, h: number, w: number, rows: number[], cols: number[]) {
  let on = 0, nOn = 0, off = 0, nOff = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 1; x < w; x++) {
      let d = 0;
      for (let c = 0; c < 3; c++) d += (img[(y * w + x) * 3 + c] - img[(y * w + x - 1) * 3 + c]) ** 2;
      if (cols.includes(x)) (on += d), nOn++;
      else (off += d), nOff++;
    }
  }
  for (let y = 1; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let d = 0;
      for (let c = 0; c < 3; c++) d += (img[(y * w + x) * 3 + c] - img[((y - 1) * w + x) * 3 + c]) ** 2;
      if (rows.includes(y)) (on += d), nOn++;
      else (off += d), nOff++;
    }
  }
  return { on: on / nOn, off: off / nOff };
}

describe('stylize() with tiles', () => {
  it('matches the untiled run (loss within 2% after the same iterations) with no seams, and reports the tiles', async () => {
    const before = tf.memory().numTensors;
    const tileEvents: TileInfo[] = [];
    const tilings: unknown[] = [];
    const tiled = await run({ tile: 32, onTile: (t) => void tileEvents.push(t), onIteration: (i) => void tilings.push(i.tiling) });
    const whole = await run({ tile: false });
    expect(tiled.scales[0].tiling).toEqual({ tiles: 9, tileSize: 32, halo: 24, exact: true });
    expect(whole.scales[0].tiling).toBeUndefined();
    expect(tilings.every((t) => JSON.stringify(t) === JSON.stringify(tiled.scales[0].tiling))).toBe(true);
    // Every evaluation visits the 3x3 tiles twice (Grams, then gradient).
    expect(tileEvents.length).toBe(tiled.evaluations * 18);
    expect(tileEvents.slice(0, 18).map((t) => `${t.pass === 'grams' ? 'G' : 'D'}${t.tile}`).join(' ')).toBe('G0 G1 G2 G3 G4 G5 G6 G7 G8 D0 D1 D2 D3 D4 D5 D6 D7 D8');
    expect(tileEvents[0]).toMatchObject({ iteration: 1, scale: 0, width: 96, height: 72, tiles: 9 });

    const lt = tiled.history.map((h) => h.loss.total);
    const lw = whole.history.map((h) => h.loss.total);
    expect(Math.abs(lt[0] - lw[0]) / lw[0]).toBeLessThan(1e-5);
    expect(Math.abs(lt[lt.length - 1] - lw[lw.length - 1]) / lw[lw.length - 1]).toBeLessThan(0.02);

    // Seams: the tile borders are at 32 and 64 px on both axes.
    const et = edgeEnergy((await tiled.image.data()) as Float32Array, 72, 96, [32, 64], [32, 64]);
    const ew = edgeEnergy((await whole.image.data()) as Float32Array, 72, 96, [32, 64], [32, 64]);
    console.log(`tiled vs whole: first loss ${lt[0]} vs ${lw[0]}, last ${lt.at(-1)} vs ${lw.at(-1)}; border/elsewhere edge energy ${(et.on / et.off).toFixed(4)} vs ${(ew.on / ew.off).toFixed(4)}`);
    expect(Math.abs(et.on / et.off - ew.on / ew.off) / (ew.on / ew.off)).toBeLessThan(0.02);
    tiled.dispose();
    whole.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 400_000);

  it('with the optimiser state in JS memory (too little device memory for it) optimises as on the device, and leaks nothing', async () => {
    const SMALL = { size: 128, iterations: 5, styleLayers: ['relu1_1', 'relu2_1'], contentLayers: ['relu2_1'] };
    // The memory budget at which the plan keeps the whole L-BFGS state on the host: above what the tiles' pass
    // needs alone (with its headroom), below what it needs with the image-sized vectors on the device. At 128x96 in
    // tiles of 32, with layers to relu2_1, the vectors outweigh a crop's pass.
    const planAt = (memoryBudget: number) => {
      try {
        const o = resolveOptions({ ...SMALL, tile: 32, memoryBudget });
        return planRun({ o, content: { height: 96, width: 128 }, styles: [{ height: 64, width: 64 }], tapPoints: [], backend: 'wasm', memoryLimit: 4 * 2 ** 30 }).scales[0].stateOn;
      } catch {
        return 'none';
      }
    };
    const lowest = (ok: (b: number) => boolean) => {
      let [lo, hi] = [tf.memory().numBytes, tf.memory().numBytes + 2 ** 30];
      while (hi - lo > 1024) {
        const mid = Math.floor((lo + hi) / 2);
        if (ok(mid)) hi = mid;
        else lo = mid;
      }
      return hi;
    };
    const fitsHost = lowest((b) => planAt(b) !== 'none');
    const fitsDevice = lowest((b) => planAt(b) === 'device');
    expect(fitsDevice - fitsHost).toBeGreaterThan(5 * 128 * 96 * 3 * 4); // room for what a run holds besides
    const memoryBudget = Math.round((fitsHost + fitsDevice) / 2);
    expect(planAt(memoryBudget)).toBe('host');

    const before = tf.memory().numTensors;
    const device = await run({ ...SMALL, tile: 32 });
    const host = await run({ ...SMALL, tile: 32, memoryBudget });
    expect(host.scales[0]).toMatchObject({ stateOn: 'host', historyOn: 'host', tiling: { tiles: 12 } });
    expect(device.scales[0]).toMatchObject({ stateOn: 'device' });
    expect(host.warnings.join(' ')).toMatch(/optimiser's state .* JS memory/);
    const lh = host.history.map((h) => h.loss.total);
    const ld = device.history.map((h) => h.loss.total);
    // JS sums in float64 where the device sums in float32, so the line searches land a little apart (measured:
    // 1.3e-4 after the first iteration).
    expect(Math.abs(lh[0] - ld[0]) / ld[0]).toBeLessThan(1e-3);
    expect(Math.abs(lh.at(-1)! - ld.at(-1)!) / ld.at(-1)!).toBeLessThan(0.01);
    expect(lh.at(-1)!).toBeLessThan(lh[0]);
    tf.dispose([host, device].map((r) => r.image));

    // Aborted between tiles: ABORTED, nothing left behind.
    const ac = new AbortController();
    const e = await run({ ...SMALL, tile: 32, memoryBudget, signal: ac.signal, onTile: (t) => void (t.iteration === 2 && t.tile === 3 && ac.abort()) }).catch((err: unknown) => err);
    expect((e as StyleTransferError).code).toBe('ABORTED');
    expect(tf.memory().numTensors).toBe(before);
  }, 400_000);

  it('a halo below the exact one is reported as inexact and still optimises', async () => {
    const r = await run({ tile: { size: 48, halo: 8 }, iterations: 2 });
    expect(r.scales[0].tiling).toEqual({ tiles: 4, tileSize: 48, halo: 8, exact: false });
    expect(r.history[1].loss.total).toBeLessThan(r.history[0].loss.total);
    r.dispose();
  });

  it('aborting between tiles rejects with ABORTED and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    const e = await run({ tile: 32, signal: ac.signal, onTile: (t) => void (t.iteration === 2 && t.tile === 3 && ac.abort()) }).then(
      (r) => (r.dispose(), undefined),
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(StyleTransferError);
    expect((e as StyleTransferError).code).toBe('ABORTED');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('validates the option and refuses taps with forced tiles', async () => {
    for (const tile of [7, 5000, 64.5, 'yes', { size: 64, overlap: 2 }, { size: 64, halo: -1 }, true]) {
      const e = await run({ tile: tile as never }).catch((err: unknown) => err);
      expect((e as StyleTransferError).code).toBe('INVALID_OPTION');
    }
    const e = await run({ tile: 32, taps: { layers: ['relu1_1'], onActivation: () => {} } }).catch((err: unknown) => err);
    expect((e as StyleTransferError).code).toBe('INVALID_OPTION');
    expect((e as StyleTransferError).message).toMatch(/taps/);
  });
});

describe('planRun chooses tiles from the memory plan', () => {
  const plan = (memoryLimit: number | undefined, size: number, extra = {}) =>
    planRun({ o: resolveOptions({ size, scales: [1], ...extra }), content: { height: size, width: size }, styles: [{ height: size, width: size }], tapPoints: [], backend: 'wasm', memoryLimit });

  it('keeps the whole image while it fits, tiles when it does not, and never tiles without a cap', () => {
    expect(plan(4 * 2 ** 30, 512).scales[0].tiling).toBeUndefined();
    expect(plan(undefined, 2048).scales[0].tiling).toBeUndefined();
    const big = plan(4 * 2 ** 30, 2048).scales[0];
    expect(big.tiling).toBeDefined();
    expect(big.tiling!.halo).toBe(160);
    expect(big.memory.total * 1.3).toBeLessThanOrEqual(4 * 2 ** 30);
    // Its L-BFGS history does not fit next to the tiles' pass: it is kept in JS memory, with 16 pairs (2 GiB).
    expect(big.historyOn).toBe('host');
    expect(big.historySize).toBe(16);
    expect(plan(4 * 2 ** 30, 512).scales[0].historyOn).toBe('device');
    // Coarse-to-fine: only the scale that needs it is tiled.
    const c2f = plan(4 * 2 ** 30, 2048, { scales: [0.25, 1], iterations: [10, 2] });
    expect(c2f.scales.map((s) => s.tiling !== undefined)).toEqual([false, true]);
    // The default schedule above 1024 px (512 → 1024 → 2048): the coarsest scale whole, the last tiled.
    const auto = plan(4 * 2 ** 30, 2048, { scales: undefined }).scales;
    expect(auto.map((s) => s.width)).toEqual([512, 1024, 2048]);
    expect([auto[0].tiling, auto[2].tiling !== undefined]).toEqual([undefined, true]);
    expect(() => plan(4 * 2 ** 30, 2048, { tile: false })).toThrow(/OUT_OF_MEMORY|needs about/);
    expect(big.stateOn).toBe('device');
    // 4096x4096: even without pairs the optimiser's vectors do not fit next to any tile's pass, so the whole state
    // goes to JS memory (the history's 2 GiB then hold 4 pairs of 4/3-image vectors), leaving the device the tiles.
    const huge = plan(4 * 2 ** 30, 4096).scales[0];
    expect(huge).toMatchObject({ stateOn: 'host', historyOn: 'host', historySize: 4 });
    expect(huge.memory.optimizer).toBe(0);
    expect(huge.memory.total * 1.6).toBeLessThanOrEqual(4 * 2 ** 30);
    // With Adam (whose state has no home in JS memory) the size is refused as before.
    expect(() => plan(4 * 2 ** 30, 4096, { optimizer: 'adam' })).toThrow(/needs about/);
  });

  it('keeps optimiser state in JS memory within half the host\'s memory: fewer pairs, or OUT_OF_MEMORY that says so', () => {
    const platform = getPlatform();
    const saved = platform.hostMemory;
    expect(saved?.()).toBeGreaterThan(0); // the Node adapter reports the machine's (or the container's) memory
    try {
      // 4096x4096 with the pyramid: one optimiser vector is 0.25 GiB; the working vectors (10) take 2.5 GiB.
      configurePlatform({ hostMemory: () => 8 * 2 ** 30 });
      const small = plan(4 * 2 ** 30, 4096).scales[0];
      // Half of 8 GiB less the working vectors leaves 1.5 GiB: 3 pairs (of 4 within the fixed 2 GiB cap).
      expect(small).toMatchObject({ stateOn: 'host', historySize: 3 });
      configurePlatform({ hostMemory: () => 4 * 2 ** 30 });
      expect(() => plan(4 * 2 ** 30, 4096)).toThrow(/JS memory needs about 3\.0 GiB .* 50% of the 4\.0 GiB this process may use/);
      // 2048x2048 keeps only its history on the host (the working vectors stay on the device): its 16 pairs fit
      // half of 4 GiB.
      expect(plan(4 * 2 ** 30, 2048).scales[0]).toMatchObject({ historyOn: 'host', stateOn: 'device', historySize: 16 });
      configurePlatform({ hostMemory: undefined });
      expect(plan(4 * 2 ** 30, 4096).scales[0].historySize).toBe(4);
    } finally {
      configurePlatform({ hostMemory: saved });
    }
  });
});
