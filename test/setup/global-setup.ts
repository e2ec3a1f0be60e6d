/**
 * Builds a weight set from the uint8 Keras weights only (`--exact none`) into a temp folder, once per run, and
 * provides its path to the tests as `inject('uint8WeightsDir')`. The golden numbers in shared/golden were computed
 * from exactly these weights; the package's default weights use exact float32 for block1–3 and differ by ~1e-3.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder holding the uint8-only weight set (manifest.json + shards). */
    uint8WeightsDir: string;
  }
}

const root = fileURLToPath(new URL('../../', import.meta.url));

export default function setup(project: TestProject): () => void {
  const shared = join(root, '..', 'shared');
  if (!existsSync(join(shared, 'vgg19', 'keras-uint8', 'model.json'))) {
    throw new Error(`global-setup: the shared VGG-19 weights are missing (expected ${shared}/vgg19/keras-uint8/model.json).`);
  }
  if (!existsSync(join(root, 'weights', 'manifest.json'))) {
    throw new Error('global-setup: weights/manifest.json is missing: run "npm run weights" first.');
  }
  const dir = mkdtempSync(join(tmpdir(), 'nst-weights-uint8-'));
  execFileSync(process.execPath, [join(root, 'scripts', 'build-weights.mjs'), '--exact', 'none', '--out', dir], { stdio: 'pipe' });
  if (!existsSync(join(dir, 'manifest.json'))) throw new Error(`global-setup: build-weights wrote no manifest to ${dir}`);
  project.provide('uint8WeightsDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
