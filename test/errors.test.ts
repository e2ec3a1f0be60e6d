/**
 * The package's errors as users meet them through the BUILT package (run `npx tsup` first), in child `node`
 * processes: NO_BACKEND when the root entry is used without an adapter, and errors recognised across the ESM and
 * CommonJS copies of the package loaded in one process (a brand, not the prototype chain).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StyleTransferError, isStyleTransferError } from '../src/errors.js';

const run = promisify(execFile);
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

describe('errors of the built package', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(join(DIST, 'index.js')) || !existsSync(join(DIST, 'index.cjs'))) throw new Error('Build the package first (npx tsup).');
    dir = mkdtempSync(join(tmpdir(), 'nst-errors-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function node(name: string, code: string): Promise<unknown> {
    const file = join(dir, name);
    writeFileSync(file, code);
    const { stdout } = await run(process.execPath, [file], { cwd: dir, timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');
  }

  it('NO_BACKEND, naming the adapters, when the root entry is used without one', async () => {
    const out = (await node(
      'no-backend.mjs',
      `import { stylize, loadVgg19, createStylizer } from ${JSON.stringify(join(DIST, 'index.js'))};
const img = { data: new Uint8Array(16 * 16 * 3), width: 16, height: 16 };
const calls = { loadVgg19: () => loadVgg19(), stylize: () => stylize({ content: img, style: img, size: 16, iterations: 1 }), createStylizer: () => createStylizer() };
const out = {};
for (const [name, f] of Object.entries(calls)) {
  try { await f(); out[name] = 'resolved'; } catch (e) { out[name] = { code: e.code, message: e.message, details: e.details }; }
}
console.log(JSON.stringify(out));`,
    )) as Record<string, { code: string; message: string; details: { imports: string[] } }>;
    for (const name of ['loadVgg19', 'stylize', 'createStylizer']) {
      expect(out[name].code, name).toBe('NO_BACKEND');
      for (const entry of ['/node', '/browser', '/webgl', '/wasm']) expect(out[name].message).toContain(`"neural-style-tfjs${entry}"`);
      expect(out[name].details.imports).toEqual(['neural-style-tfjs/node', 'neural-style-tfjs/browser', 'neural-style-tfjs/webgl', 'neural-style-tfjs/wasm']);
    }
  });

  it('the ESM and the CommonJS copy recognise each other\'s errors', async () => {
    const out = await node(
      'two-copies.mjs',
      `import { createRequire } from 'node:module';
import * as esm from ${JSON.stringify(join(DIST, 'index.js'))};
const cjs = createRequire(import.meta.url)(${JSON.stringify(join(DIST, 'index.cjs'))});
const fromEsm = new esm.StyleTransferError('INVALID_OPTION', 'x', { field: 'size' });
const fromCjs = new cjs.StyleTransferError('INVALID_OPTION', 'x', { field: 'size' });
const lookAlike = Object.assign(new Error('x'), { name: 'StyleTransferError', code: 'INVALID_OPTION' });
console.log(JSON.stringify({
  twoClasses: esm.StyleTransferError !== cjs.StyleTransferError,
  esmSeesCjs: [esm.isStyleTransferError(fromCjs), esm.isStyleTransferError(fromCjs, 'INVALID_OPTION'), esm.isStyleTransferError(fromCjs, 'ABORTED'), fromCjs instanceof esm.StyleTransferError],
  cjsSeesEsm: [cjs.isStyleTransferError(fromEsm), cjs.isStyleTransferError(fromEsm, 'INVALID_OPTION'), cjs.isStyleTransferError(fromEsm, 'ABORTED'), fromEsm instanceof cjs.StyleTransferError],
  stillErrors: [fromCjs instanceof Error, fromEsm instanceof Error],
  lookAlike: [esm.isStyleTransferError(lookAlike), lookAlike instanceof cjs.StyleTransferError, esm.isStyleTransferError(null), esm.isStyleTransferError({})],
}));`,
    );
    expect(out).toEqual({
      twoClasses: true,
      esmSeesCjs: [true, true, false, true],
      cjsSeesEsm: [true, true, false, true],
      stillErrors: [true, true],
      lookAlike: [false, false, false, false],
    });
  });

  it('instanceof keeps its meaning for subclasses and plain errors (sources)', () => {
    class Sub extends StyleTransferError {}
    const base = new StyleTransferError('ABORTED', 'x');
    expect(base instanceof StyleTransferError).toBe(true);
    expect(new Sub('ABORTED', 'x') instanceof StyleTransferError).toBe(true);
    expect(base instanceof Sub).toBe(false);
    expect(new Error('x') instanceof StyleTransferError).toBe(false);
    expect(isStyleTransferError(base, 'ABORTED')).toBe(true);
  });
});
