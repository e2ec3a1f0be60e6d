/**
 * Hostile callers of a session (issue #26 bugs 3, 6, 9): a progress or tile callback whose promise never settles
 * cannot hold an abort, the queue or dispose(); a look-alike `signal` is refused with INVALID_OPTION; a style
 * prepared while the session is disposed rejects with DISPOSED and is freed. Every case leaves no tensor behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStylizer, loadVgg19, ready, stylize, StyleTransferError, type StylizeResult, type Vgg19 } from '../../src/adapters/node.js';
import { loadImage, type RgbPixels } from '../helpers/images.js';

let model: Vgg19;
let content: RgbPixels;
let style: RgbPixels;

beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  content = loadImage('tubingen', 32);
  style = loadImage('starry_night', 32);
});

afterAll(() => model?.dispose());

const never = (): Promise<void> => new Promise(() => undefined);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    (await p as StylizeResult | undefined)?.dispose?.();
    return 'resolved';
  } catch (e) {
    return e instanceof StyleTransferError ? e.code : `not coded: ${String(e)}`;
  }
}

describe('a callback that never settles', () => {
  it('onIteration: abort rejects ABORTED at once, the queue moves on, nothing leaks', async () => {
    const before = tf.memory().numTensors;
    const s = await createStylizer({ model });
    const ac = new AbortController();
    let calls = 0;
    const stuck = s.stylize(content, style, { size: 32, iterations: 3, signal: ac.signal, onIteration: () => (calls++, never()) });
    const next = s.stylize(content, style, { size: 32, iterations: 1 });
    while (calls === 0) await new Promise((r) => setTimeout(r, 5));
    const t = performance.now();
    ac.abort();
    expect(await codeOf(stuck)).toBe('ABORTED');
    expect(performance.now() - t).toBeLessThan(1000);
    expect(await codeOf(next)).toBe('resolved'); // the queue was not held
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('onTile: abort rejects ABORTED; dispose() alone also ends a stuck call with DISPOSED and frees it', async () => {
    const before = tf.memory().numTensors;
    const s = await createStylizer({ model });
    const ac = new AbortController();
    let tiles = 0;
    const tile = { tile: 16 } as const;
    const stuck = s.stylize(content, style, { size: 32, iterations: 2, ...tile, signal: ac.signal, onTile: () => (tiles++, never()) });
    while (tiles === 0) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    expect(await codeOf(stuck)).toBe('ABORTED');

    let calls = 0;
    const noSignal = s.stylize(content, style, { size: 32, iterations: 3, onIteration: () => (calls++, never()) });
    while (calls === 0) await new Promise((r) => setTimeout(r, 5));
    s.dispose();
    expect(await codeOf(noSignal)).toBe('DISPOSED');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a rejecting onQueue promise does not surface as an unhandled rejection', async () => {
    const s = await createStylizer({ model });
    const a = s.stylize(content, style, { size: 32, iterations: 1 });
    const b = s.stylize(content, style, { size: 32, iterations: 1, onQueue: () => Promise.reject(new Error('nope')) as never });
    expect([await codeOf(a), await codeOf(b)]).toEqual(['resolved', 'resolved']);
    s.dispose();
  });
});

describe('signals', () => {
  const fakes: [string, unknown][] = [['{ aborted: false }', { aborted: false }], ['an EventTarget', new EventTarget()], ['an AbortController', new AbortController()]];
  it.each(fakes)('a look-alike signal (%s) is INVALID_OPTION in stylize, a session call and createStylizer', async (_, fake) => {
    expect(await codeOf(stylize({ content, style, model, size: 32, iterations: 1, signal: fake as AbortSignal }))).toBe('INVALID_OPTION');
    const s = await createStylizer({ model });
    expect(await codeOf(s.stylize(content, style, { size: 32, iterations: 1, signal: fake as AbortSignal }))).toBe('INVALID_OPTION');
    expect(await codeOf(s.prepareStyle(style, { signal: fake as AbortSignal }))).toBe('INVALID_OPTION');
    s.dispose();
    expect(await codeOf(createStylizer({ model, signal: fake as AbortSignal }))).toBe('INVALID_OPTION');
  });
});

describe('prepareStyle options', () => {
  it('an unknown key or a bad pixelRange is INVALID_OPTION naming the field, before any image is read', async () => {
    const before = tf.memory().numTensors;
    const s = await createStylizer({ model });
    const typo = await s.prepareStyle(style, { pixelrange: '0-1' } as never).catch((e: unknown) => e);
    expect(typo).toBeInstanceOf(StyleTransferError);
    expect((typo as StyleTransferError).code).toBe('INVALID_OPTION');
    expect((typo as StyleTransferError).details).toMatchObject({ field: 'pixelrange' });
    expect((typo as StyleTransferError).message).toContain('did you mean `pixelRange`');
    const range = await s.prepareStyle(style, { pixelRange: '0-65535' as never }).catch((e: unknown) => e);
    expect((range as StyleTransferError).details).toMatchObject({ field: 'pixelRange', got: '0-65535' });
    expect(await codeOf(s.prepareStyle(style, null as never))).toBe('INVALID_OPTION');
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('prepareStyle racing dispose()', () => {
  it('rejects with DISPOSED and frees the handle', async () => {
    const before = tf.memory().numTensors;
    const s = await createStylizer({ model });
    const styleTensor = tf.tensor3d(new Float32Array(32 * 32 * 3).fill(100), [32, 32, 3]); // read back: an await
    const prepared = s.prepareStyle(styleTensor);
    s.dispose();
    expect(await codeOf(prepared)).toBe('DISPOSED');
    styleTensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
