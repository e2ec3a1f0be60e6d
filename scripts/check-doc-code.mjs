#!/usr/bin/env node
/**
 * Type-checks every ```ts / ```js code block of README.md and docs/*.md against the BUILT package (run
 * `npm run build` first): each block becomes a module in a temp project whose node_modules/neural-style-tfjs is
 * this repository, compiled by the repository's TypeScript (strict, DOM + Node types, top-level await). Errors are
 * reported at their line in the Markdown file.
 *
 * Conventions, as HTML comments on the line(s) before a block (invisible on GitHub and npm):
 * - `<!-- doc-code: declare <TypeScript declarations> -->` declares a fragment's placeholders, e.g.
 *   `<!-- doc-code: declare const photo: import('neural-style-tfjs').RgbaImage; -->` (any TypeScript after
 *   `declare `, such as an import, when it does not start with const/let/function/class);
 * - `<!-- doc-code: skip <reason> -->` leaves a block out of both checks (say why);
 * - `<!-- doc-code: no-run <reason> -->` type-checks it but does not run it (browser-only, servers, long jobs).
 * A block names its own imports; anything else it uses must be declared.
 *
 * Then every block without skip/no-run RUNS against the built package, at 32 px and 2 iterations, its declared
 * placeholders bound to real pictures: scripts/doc-code/run-blocks.mjs (BINDINGS in scripts/doc-code/bindings.mjs).
 *
 * Then docs/browser.md's worker example (the blocks starting `// stylize.worker.ts` and `// page`) is built as a
 * vanilla-ts Vite app does it, `tsc && vite build`, with the compiler options of Vite's `vanilla-ts` template
 * (`--no-vite` skips this).
 *
 * Usage: node scripts/check-doc-code.mjs [--keep] [--no-vite] [--no-run] [files...]. Exits 1 when a block does not
 * compile, the worker example does not build, or a block fails to run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blocksOf, declarationsOf } from './doc-code/blocks.mjs';
import { runBlocks } from './doc-code/run-blocks.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const given = args.filter((a) => !a.startsWith('--'));
const files = given.length ? given.map((f) => join(process.cwd(), f)) : [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f))];

if (!existsSync(join(ROOT, 'dist/index.d.ts'))) {
  console.error('Build the package first (npm run build).');
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), 'nst-doc-code-'));
mkdirSync(join(tmp, 'node_modules/@types'), { recursive: true });
symlinkSync(ROOT, join(tmp, 'node_modules/neural-style-tfjs'));
symlinkSync(join(ROOT, 'node_modules/@tensorflow'), join(tmp, 'node_modules/@tensorflow'));
for (const t of ['node', 'pngjs']) if (existsSync(join(ROOT, 'node_modules/@types', t))) symlinkSync(join(ROOT, 'node_modules/@types', t), join(tmp, 'node_modules/@types', t));
for (const d of ['@webgpu', 'undici-types']) if (existsSync(join(ROOT, 'node_modules', d))) symlinkSync(join(ROOT, 'node_modules', d), join(tmp, 'node_modules', d));
writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'doc-code', private: true, type: 'module' }));

const map = new Map(); // generated file -> { md, line, header }
const workerApp = {}; // docs/browser.md's worker example: { worker, page } code and declarations
let skipped = 0;
for (const file of files) {
  for (const [n, b] of blocksOf(file).entries()) {
    if (b.notes.some((x) => x.startsWith('skip'))) {
      skipped++;
      continue;
    }
    // `declare const x: T;` (the `declare` of the convention doubles as TypeScript's), or any TypeScript (imports).
    if (file.endsWith('docs/browser.md') && /^\/\/ (stylize\.worker\.ts|page)\n/.test(b.code)) {
      workerApp[b.code.startsWith('// page') ? 'page' : 'worker'] = b;
    }
    const declares = declarationsOf(b);
    const header = [...declares, ''];
    // JavaScript blocks are checked as TypeScript (so they can have declared placeholders), with catch variables
    // typed `any` as JavaScript has them.
    const name = `${relative(ROOT, file).replace(/\W/g, '_')}_${n}.ts`;
    // `export {}` makes every block a module (top-level await, no name clashes between blocks).
    writeFileSync(join(tmp, name), `${header.join('\n')}${b.code}\nexport {};\n`);
    map.set(name, { md: relative(ROOT, file), line: b.line, header: declares.length });
  }
}
writeFileSync(
  join(tmp, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom', 'dom.iterable'], types: ['node'], skipLibCheck: true, useUnknownInCatchVariables: false },
    include: ['*.ts'],
  }),
);
const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.', '--pretty', 'false'], { cwd: tmp, encoding: 'utf8' });
const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
const failedBlocks = new Set();
for (const e of errors) {
  const m = /^([^(]+)\((\d+),(\d+)\): (.*)$/.exec(e);
  const at = m && map.get(m[1]);
  if (!at) {
    console.log(e);
    continue;
  }
  failedBlocks.add(`${at.md}:${at.line}`);
  const line = Number(m[2]) - at.header;
  console.log(`${at.md}:${line > 0 ? at.line + line - 1 : `${at.line} (declare)`}: ${m[4]}`);
}
console.log(`doc code: ${map.size} blocks type-checked, ${skipped} skipped; ${failedBlocks.size} with errors (${errors.length} errors)`);
let viteFailed = false;
if (!args.includes('--no-vite') && !given.length) viteFailed = !(await buildWorkerApp());
if (!keep) rmSync(tmp, { recursive: true, force: true });
else console.log(`kept ${tmp}`);
// Then run the Node-runnable blocks (scripts/doc-code/run-blocks.mjs), unless they do not compile.
const ran = errors.length || args.includes('--no-run') ? { failed: 0 } : runBlocks(files, { keep });
process.exit(errors.length || viteFailed || ran.failed ? 1 : 0);

/** docs/browser.md's worker example as a vanilla-ts Vite app: `tsc && vite build`. */
async function buildWorkerApp() {
  if (!workerApp.worker || !workerApp.page) {
    console.log('FAIL docs/browser.md: the worker example (blocks starting "// stylize.worker.ts" and "// page") was not found');
    return false;
  }
  const app = join(tmp, 'vite-app');
  mkdirSync(join(app, 'src'), { recursive: true });
  // Packages resolve from the temp project's node_modules, one folder up.
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'worker-app', private: true, type: 'module' }));
  writeFileSync(join(app, 'index.html'), '<!doctype html><html><body><script type="module" src="/src/main.ts"></script></body></html>');
  // The page's placeholders become declarations (the build checks types and bundling, it does not run).
  const declared = declarationsOf(workerApp.page);
  writeFileSync(join(app, 'src/main.ts'), `${declared.join('\n')}\n${workerApp.page.code}\n`);
  writeFileSync(join(app, 'src/stylize.worker.ts'), `${workerApp.worker.code}\n`);
  // Vite 7's vanilla-ts template (tsconfig.json), minus the vite/client types this app does not use.
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022', useDefineForClassFields: true, module: 'ESNext', lib: ['ES2022', 'DOM', 'DOM.Iterable'], skipLibCheck: true,
        moduleResolution: 'bundler', allowImportingTsExtensions: true, verbatimModuleSyntax: true, moduleDetection: 'force', noEmit: true,
        strict: true, noUnusedLocals: true, noUnusedParameters: true, erasableSyntaxOnly: true, noFallthroughCasesInSwitch: true, noUncheckedSideEffectImports: true,
      },
      include: ['src'],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc')], { cwd: app, encoding: 'utf8' });
  if (tsc.status !== 0) {
    console.log(`FAIL docs/browser.md worker example: tsc\n${tsc.stdout}${tsc.stderr}`);
    return false;
  }
  const { build } = await import(join(ROOT, 'node_modules/vite/dist/node/index.js'));
  try {
    await build({ root: app, configFile: false, logLevel: 'warn', build: { outDir: join(app, 'dist'), chunkSizeWarningLimit: 10_000 } });
  } catch (e) {
    console.log(`FAIL docs/browser.md worker example: vite build\n${e?.stack ?? e}`);
    return false;
  }
  console.log('ok   docs/browser.md worker example: tsc && vite build (vanilla-ts settings)');
  return true;
}
