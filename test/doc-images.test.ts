/**
 * The README's and docs' pictures as GitHub and npmjs.com show them: scripts/check-doc-images.mjs must pass on
 * this repository, and must catch each kind of broken picture in a small throw-away git repository. Reads files
 * and asks git only; runs no model.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CHECK = join(ROOT, 'scripts', 'check-doc-images.mjs');

function check(root?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CHECK, ...(root ? [root] : [])], { cwd: ROOT }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('pictures in README.md and docs/*.md', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('are all committed, linked and at most 2 MB together', async () => {
    const run = await check();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/check-doc-images: [1-9]\d* linked pictures/);
  });

  it('catches missing, ignored, remote, orphaned and oversized pictures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nst-doc-images-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'docs', 'figures'), { recursive: true });
    mkdirSync(join(dir, 'docs', 'generated'), { recursive: true });
    writeFileSync(join(dir, '.gitignore'), 'docs/generated/\n');
    writeFileSync(join(dir, 'docs', 'figures', 'ok.png'), Buffer.alloc(100));
    writeFileSync(join(dir, 'docs', 'figures', 'orphan.png'), Buffer.alloc(100));
    writeFileSync(join(dir, 'docs', 'figures', 'big.jpg'), Buffer.alloc(2_000_000));
    writeFileSync(join(dir, 'docs', 'generated', 'ignored.png'), Buffer.alloc(100));
    writeFileSync(
      join(dir, 'README.md'),
      '# x\n\n![ok](docs/figures/ok.png)\n\n<img src="docs/figures/big.jpg" width="300">\n\n![gone](docs/figures/gone.png)\n\n' +
        '![remote](https://example.com/a.png)\n\n```md\n![in a code block](nowhere.png)\n```\n',
    );
    writeFileSync(join(dir, 'docs', 'guide.md'), '![ignored](generated/ignored.png)\n\n![ok again](./figures/ok.png)\n');
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['add', '.'], { cwd: dir });
    const run = await check(dir);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toEqual([
      'check-doc-images: README.md: image docs/figures/gone.png: docs/figures/gone.png is missing',
      'check-doc-images: README.md: image https://example.com/a.png is a URL; commit the picture and link it by a relative path',
      'check-doc-images: docs/guide.md: image generated/ignored.png: docs/generated/ignored.png is not committed (gitignored or not added)',
      'check-doc-images: docs/figures/orphan.png is committed but no README or docs page shows it',
      'check-doc-images: the pictures under docs/ take 2000200 bytes; the limit is 2000000 (2 MB)',
    ]);
  });
});
