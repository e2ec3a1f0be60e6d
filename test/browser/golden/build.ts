import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Bundles the golden page (page.ts with TF.js and the library's sources) with esbuild into a new temp folder
 * holding index.html + page.js, and returns the folder. Takes about a second.
 */
export async function buildGoldenPage(): Promise<string> {
  const { build } = await import('esbuild');
  const out = mkdtempSync(join(tmpdir(), 'nst-golden-page-'));
  await build({
    entryPoints: [join(here, 'page.ts')],
    outfile: join(out, 'page.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
  });
  copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
  return out;
}
