/**
 * Sweeps with regions: the record holds each mask's size and sha256 (`inputs.masks`) and the region options with
 * masks as indexes into it; `replaySweep` given the masks again re-runs the same grid (the same losses), and
 * refuses other masks. Then the same through the CLI: `sweep --region …` writes mask paths, `--replay` reads them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStylizer, loadVgg19, ready, type Stylizer, type Vgg19 } from '../../../src/adapters/node.js';
import { encodeImage } from '../../../src/adapters/node/image-io.js';
import { replaySweep, sweep, type SweepRecord } from '../../../src/experiments.js';
import { validateSweepRecord } from '../../../src/experiments/sweep/record-validate.js';
import { synthetic } from '../../helpers/synthetic.js';

const [H, W] = [32, 40];
const px = (name: string) => ({ data: synthetic(name, H, W), width: W, height: H, channels: 3 as const });
const left = () => {
  const data = new Float32Array(H * W);
  for (let y = 0; y < H; y++) data.fill(1, y * W, y * W + 18);
  return { data, width: W, height: H };
};
/** The right part as an RGBA image (white inside): masks may be images too. */
const rightImage = () => {
  const data = new Uint8Array(H * W * 4);
  for (let i = 0; i < H * W; i++) data.fill(i % W >= 18 ? 255 : 0, 4 * i, 4 * i + 4);
  return { data, width: W, height: H };
};

let model: Vgg19;
let stylizer: Stylizer;
beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  stylizer = await createStylizer({ model });
});
afterAll(() => {
  stylizer?.dispose();
  model?.dispose();
});

describe('sweep records with regions', () => {
  it('record the masks by sha256, and replay them to the same losses', async () => {
    const regions = [
      { mask: left(), styles: [0], name: 'left' },
      { mask: rightImage(), styles: [{ style: 1, mask: left(), weight: 1 }], weight: 2 },
    ];
    const options = { content: px('c'), style: [px('a'), px('b')], stylizer, size: 40, styleLayers: ['relu1_1', 'relu2_1'], vary: {}, iterations: [1, 2], regions, regionMasks: { mode: 'all' as const }, contentWeightMap: left() };
    const result = await sweep(options);
    const record = JSON.parse(JSON.stringify(result.record)) as SweepRecord;
    expect(record.inputs.masks).toHaveLength(4); // region 0, region 1, region 1's style mask, the content weight map
    expect(record.inputs.masks![0].sha256).toBe(record.inputs.masks![2].sha256);
    expect(record.inputs.masks![1]).toMatchObject({ width: W, height: H });
    expect(record.options.regions).toEqual([{ mask: 0, styles: [0], name: 'left' }, { mask: 1, styles: [{ style: 1, mask: 2, weight: 1 }], weight: 2 }]);
    expect(record.options.contentWeightMap).toBe(3);
    expect(record.cells[0].settings.regionMasks).toEqual({ mode: 'all', erode: 0 });
    expect(validateSweepRecord(record)).toBe(record);

    const masks = [left(), rightImage(), left(), left()];
    const again = await replaySweep(record, { content: px('c'), style: [px('a'), px('b')], stylizer, masks });
    again.cells.forEach((c, i) => expect(c.loss.total).toBeCloseTo(result.cells[i].loss.total, 6));

    await expect(replaySweep(record, { content: px('c'), style: [px('a'), px('b')], stylizer })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { field: 'masks' } });
    await expect(replaySweep(record, { content: px('c'), style: [px('a'), px('b')], stylizer, masks: [left(), left(), left(), left()] })).rejects.toMatchObject({ code: 'INVALID_IMAGE', details: { field: 'masks[1]' } });
    const bad = JSON.parse(JSON.stringify(record)) as SweepRecord & { options: { regions: { mask: number }[] } };
    bad.options.regions[1].mask = 7;
    expect(() => validateSweepRecord(bad)).toThrow(/`options\.regions\[1\]\.mask` is 7; expected a whole number 0–3/);
  });
});

describe('sweep --region on the command line', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  async function run(dir: string, args: string[]): Promise<number> {
    const { main } = await import('../../../src/cli/main.js');
    const home = process.cwd();
    process.chdir(dir);
    try {
      return await main([...args, '--quiet']);
    } finally {
      process.chdir(home);
    }
  }

  it('records the mask files beside the images and replays from them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nst-sweep-regions-'));
    dirs.push(dir);
    const rgba = (p: ReturnType<typeof px>) => {
      const data = new Uint8Array(H * W * 4);
      for (let i = 0; i < H * W; i++) data.set([...p.data.subarray(3 * i, 3 * i + 3)].map(Math.round).concat(255), 4 * i);
      return { data, width: W, height: H };
    };
    writeFileSync(join(dir, 'c.png'), encodeImage(rgba(px('c')), 'png'));
    writeFileSync(join(dir, 'a.png'), encodeImage(rgba(px('a')), 'png'));
    writeFileSync(join(dir, 'b.png'), encodeImage(rgba(px('b')), 'png'));
    writeFileSync(join(dir, 'right.png'), encodeImage(rightImage(), 'png'));
    const code = await run(dir, ['sweep', 'c.png', 'a.png', '--region', 'right.png:b.png', '--region', 'rest:a.png', '--vary', 'pooling=max,avg', '--size', '32', '--iterations', '1', '--style-layers', 'relu1_1', '-o', 'sheet.png']);
    expect(code).toBe(0);
    const record = JSON.parse(readFileSync(join(dir, 'sheet.json'), 'utf8')) as SweepRecord;
    expect(record.inputs.style.map((s) => s.path)).toEqual(['a.png', 'b.png']);
    expect(record.inputs.masks!.map((m) => m.path)).toEqual(['right.png']);
    expect(record.options).toMatchObject({ regions: [{ mask: 0, styles: [1] }], uncovered: 0 });
    expect(await run(dir, ['sweep', '--replay', 'sheet.json', '-o', 'again.png'])).toBe(0);
    const again = JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8')) as SweepRecord;
    again.cells.forEach((c, i) => expect(c.loss.total).toBeCloseTo(record.cells[i].loss.total, 6));
  });
});
