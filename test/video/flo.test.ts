/**
 * Middlebury `.flo` files (src/video/flo.ts, src/adapters/node/video/flo-files.ts): a byte-exact round trip, a hand-built
 * file read as the format says, truncated, overlong and damaged files refused with INVALID_FLOW, and the folder flow
 * source with Ruder et al.'s names, size checks and no leaked tensors.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/adapters/node.js';
import { isStyleTransferError } from '../../src/errors.js';
import { decodeFlo, encodeFlo, FLO_MAGIC, flowFieldToTensor, flowTensorToField } from '../../src/video/flo.js';
import { floFolderFlowSource, readFlo, ruderFloName, writeFlo, writeFlowTensor } from '../../src/adapters/node/video/flo-files.js';
import { tfjsFlowSource } from '../../src/video/flow-source.js';

const dir = mkdtempSync(join(tmpdir(), 'nst-flo-'));
beforeAll(async () => {
  await ready();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const field = (w: number, h: number) => ({ width: w, height: h, data: Float32Array.from({ length: w * h * 2 }, (_, i) => (i % 2 ? -1 : 1) * (i * 0.37 - 3.5)) });

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return isStyleTransferError(e) ? e.code : `not coded: ${String(e)}`;
  }
  return 'no error';
}

describe('.flo bytes', () => {
  it('follows the format: magic, width, height, then u, v float32 pairs, little-endian', () => {
    const bytes = new Uint8Array(12 + 3 * 2 * 8);
    const view = new DataView(bytes.buffer);
    view.setFloat32(0, 202021.25, true);
    view.setInt32(4, 3, true);
    view.setInt32(8, 2, true);
    for (let i = 0; i < 12; i++) view.setFloat32(12 + 4 * i, i + 0.5, true);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('PIEH');
    const f = decodeFlo(bytes);
    expect(f.width).toBe(3);
    expect(f.height).toBe(2);
    expect(Array.from(f.data)).toEqual(Array.from({ length: 12 }, (_, i) => i + 0.5));
    expect(Buffer.from(encodeFlo(f)).equals(Buffer.from(bytes))).toBe(true);
    expect(FLO_MAGIC).toBe(202021.25);
  });

  it('refuses truncated, overlong and damaged files with INVALID_FLOW', async () => {
    const good = encodeFlo(field(5, 4));
    expect(await codeOf(() => decodeFlo(good.subarray(0, good.length - 1)))).toBe('INVALID_FLOW');
    expect(await codeOf(() => decodeFlo(good.subarray(0, 12)))).toBe('INVALID_FLOW');
    expect(await codeOf(() => decodeFlo(good.subarray(0, 7)))).toBe('INVALID_FLOW');
    expect(await codeOf(() => decodeFlo(new Uint8Array([...good, 0, 0, 0, 0])))).toBe('INVALID_FLOW');
    const wrongMagic = Uint8Array.from(good);
    wrongMagic[0] ^= 1;
    expect(await codeOf(() => decodeFlo(wrongMagic))).toBe('INVALID_FLOW');
    const hugeClaim = Uint8Array.from(good);
    new DataView(hugeClaim.buffer).setInt32(4, 2_000_000_000, true);
    expect(await codeOf(() => decodeFlo(hugeClaim))).toBe('INVALID_FLOW');
    const negative = Uint8Array.from(good);
    new DataView(negative.buffer).setInt32(8, -4, true);
    expect(await codeOf(() => decodeFlo(negative))).toBe('INVALID_FLOW');
    expect(await codeOf(() => encodeFlo({ width: 2, height: 2, data: new Float32Array(7) }))).toBe('INVALID_FLOW');
    expect(() => decodeFlo(good.subarray(0, 40), 'cut.flo')).toThrow(/cut\.flo .*truncated: 40 bytes where a 5x4 flow needs 172/);
  });
});

describe('.flo files', () => {
  it('round-trips through a file and through a tensor, without leaks', async () => {
    const before = tf.memory().numTensors;
    const f = field(7, 5);
    const path = join(dir, 'a.flo');
    await writeFlo(path, f);
    expect(readFileSync(path).length).toBe(12 + 7 * 5 * 8);
    const back = await readFlo(path);
    expect(back).toEqual(f);
    const t = flowFieldToTensor(back);
    expect(t.shape).toEqual([1, 5, 7, 2]);
    expect(await flowTensorToField(t)).toEqual(f);
    await writeFlowTensor(join(dir, 'b.flo'), t);
    expect(readFileSync(join(dir, 'b.flo')).equals(readFileSync(path))).toBe(true);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a truncated or missing file with INVALID_FLOW', async () => {
    const path = join(dir, 'cut.flo');
    writeFileSync(path, encodeFlo(field(6, 6)).subarray(0, 100));
    expect(await codeOf(readFlo(path))).toBe('INVALID_FLOW');
    expect(await codeOf(readFlo(join(dir, 'missing.flo')))).toBe('INVALID_FLOW');
    expect(await codeOf(readFlo(dir))).toBe('INVALID_FLOW'); // a folder
  });
});

describe('flow sources', () => {
  it('a .flo folder source reads Ruder et al.\'s names and checks the size against the frames', async () => {
    const before = tf.memory().numTensors;
    expect(ruderFloName({ from: 0, to: 1 })).toBe('forward_1_2.flo');
    expect(ruderFloName({ from: 1, to: 0 })).toBe('backward_2_1.flo');
    const folder = mkdtempSync(join(dir, 'flows-'));
    const f = field(8, 6);
    await writeFlo(join(folder, 'forward_1_2.flo'), f);
    await writeFlo(join(folder, 'backward_2_1.flo'), field(9, 6));
    const source = floFolderFlowSource(folder);
    const frame = tf.zeros([1, 6, 8, 3]) as tf.Tensor4D;
    const flow = await source.flow(frame, frame, { from: 0, to: 1 });
    expect(Array.from(await flow.data())).toEqual(Array.from(f.data));
    flow.dispose();
    expect(await codeOf(source.flow(frame, frame, { from: 1, to: 0 }))).toBe('INVALID_FLOW'); // 9 wide, frames 8
    expect(await codeOf(source.flow(frame, frame, { from: 1, to: 2 }))).toBe('INVALID_FLOW'); // no such file
    expect(await codeOf(source.flow(frame, frame))).toBe('INVALID_OPTION');
    frame.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the built-in source validates its options at creation and returns a [1,H,W,2] flow', async () => {
    const before = tf.memory().numTensors;
    expect(await codeOf(() => tfjsFlowSource({ alpha: -1 }))).toBe('INVALID_OPTION');
    const source = tfjsFlowSource({ levels: 2, warps: 1, iterations: 5 });
    const a = tf.randomUniform([1, 16, 16, 3], 0, 255, 'float32', 1) as tf.Tensor4D;
    const flow = await source.flow(a, a, { from: 0, to: 1 });
    expect(flow.shape).toEqual([1, 16, 16, 2]);
    tf.dispose([a, flow]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
