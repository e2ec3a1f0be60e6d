/**
 * The two structure checks CI runs (.ci/run): `npm run lint:deps` (dependency-cruiser: no import cycle in src/,
 * type-only imports included) and `npm run lint:size` (no file in src/ over 400 lines). Each is run on the tree
 * (it passes) and on a small fixture that breaks it (it fails, naming the files).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const run = (cmd: string, args: string[], cwd = ROOT) => spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000 });

/** A temp project with src/ files and a tsconfig. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nst-lint-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext' } }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'src', name), text);
  return dir;
}

describe('lint:deps (dependency-cruiser)', () => {
  it('finds no cycle in src/', () => {
    const r = run(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no dependency violations found/);
  }, 120_000);

  it('fails on a cycle made of type-only imports', () => {
    const dir = project({
      'a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
      'c.ts': "export const c = 1;\n",
    });
    const r = run(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG], dir);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/no-circular: src\/a\.ts/);
  }, 120_000);
});

describe('lint:size', () => {
  it('passes on src/', () => {
    const r = run(process.execPath, ['scripts/check-sizes.mjs']);
    expect(r.status, r.stderr).toBe(0);
  });

  it('fails on a file over 400 lines, naming it and its count', () => {
    const dir = project({ 'long.ts': 'export const x = 1;\n'.repeat(401), 'short.ts': 'export const y = 1;\n'.repeat(400) });
    const r = run(process.execPath, ['scripts/check-sizes.mjs', join(dir, 'src')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/long\.ts: 401 lines \(more than 400\)/);
    expect(r.stderr).not.toMatch(/short\.ts/);
  });
});

describe('no backend checks outside src/kernels and src/adapters', () => {
  it('no file elsewhere in src/ compares the backend with a name', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const files = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !/^(kernels|adapters)[/\\]/.test(f));
    expect(files.length).toBeGreaterThan(50);
    const check = /getBackend\(\)\s*[!=]==|[!=]==\s*'(wasm|webgl|webgpu|tensorflow|cpu)'|'(wasm|webgl|webgpu|tensorflow|cpu)'\s*[!=]==/;
    const offenders = files.filter((f) => check.test(readFileSync(join(ROOT, 'src', f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
