#!/usr/bin/env node
/**
 * Runs every Node-runnable ts/js block of README.md and docs/*.md against the BUILT package (`npm run build`
 * first), as scripts/check-doc-code.mjs calls it after the type-check. Each block becomes an ES module in a temp
 * project: its TypeScript stripped (TypeScript's transpileModule), its declared placeholders given real values
 * from bindings.mjs's BINDINGS, and `neural-style-tfjs` (every subpath) resolved to a thin wrapper of the build
 * that caps size and iterations (caps.mjs), so a block asking for 256 px and 100 iterations runs at 32 px and 2.
 * The blocks run one after another in one Node process (runner.mjs), in the folder holding the pictures they
 * open by name (bindings.mjs's FILES).
 *
 * Not run, with the reason printed: blocks marked `<!-- doc-code: skip REASON -->` (not type-checked either) or
 * `<!-- doc-code: no-run REASON -->` (browser-only, servers, long jobs). A note without a reason is an error.
 *
 * Usage: node scripts/doc-code/run-blocks.mjs [--keep] [files...]. Exits 1 when a block fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { BINDINGS, FILES } from './bindings.mjs';
import { blocksOf, declarationsOf, noteReason } from './blocks.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HERE = fileURLToPath(new URL('./', import.meta.url));
const IMAGES = join(ROOT, '../shared/images');

/** The names a block's `declare` notes and own `declare const` lines declare (to bind), and the notes' imports (to keep). */
function placeholdersOf(block) {
  const names = [];
  const imports = [];
  for (const decl of declarationsOf(block)) {
    const src = ts.createSourceFile('d.ts', decl, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    for (const s of src.statements) {
      if (ts.isImportDeclaration(s)) imports.push(s.getText(src));
      else if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) names.push(d.name.getText(src));
      else if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name) names.push(s.name.text);
    }
  }
  // `declare const x: T;` written in the block itself (TypeScript erases it, so it needs a value too)
  const own = ts.createSourceFile('b.ts', block.code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  for (const s of own.statements) {
    if (ts.isVariableStatement(s) && s.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) for (const d of s.declarationList.declarations) names.push(d.name.getText(own));
  }
  return { names: [...new Set(names)], imports };
}

/**
 * Runs the blocks of `files`; returns { ran, failed, skipped: [{ at, reason }] }. Prints one line per block.
 * `keep` leaves the temp project in place.
 */
export function runBlocks(files, { keep = false } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), 'nst-doc-run-'));
  const work = join(tmp, 'work'); // the blocks' working folder: the pictures they open by name, what they write
  mkdirSync(work, { recursive: true });
  mkdirSync(join(tmp, 'node_modules/neural-style-tfjs'), { recursive: true }); // filled by the runner: the capped wrapper
  symlinkSync(join(ROOT, 'node_modules/@tensorflow'), join(tmp, 'node_modules/@tensorflow'));
  writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'doc-run', private: true, type: 'module' }));

  const skipped = [];
  const torun = [];
  const problems = [];
  for (const file of files) {
    const md = relative(ROOT, file);
    for (const [n, b] of blocksOf(file).entries()) {
      const at = `${md}:${b.line}`;
      const reason = noteReason(b, 'skip') ?? noteReason(b, 'no-run');
      if (reason !== undefined) {
        if (!reason) problems.push(`${at}: a skip/no-run note needs its reason`);
        skipped.push({ at, reason });
        continue;
      }
      const { names, imports } = placeholdersOf(b);
      const unbound = names.filter((x) => !(x in BINDINGS));
      if (unbound.length) {
        problems.push(`${at}: no binding for ${unbound.join(', ')}: add one to BINDINGS (scripts/doc-code/bindings.mjs) or mark the block <!-- doc-code: no-run REASON -->`);
        continue;
      }
      const bind = names.length ? `const { ${names.join(', ')} } = await __bind(${JSON.stringify(names)});\n` : '';
      const source = `import { bind as __bind } from ${JSON.stringify(pathToFileURL(join(HERE, 'bindings.mjs')).href)};\n${imports.join('\n')}\n${bind}${b.code}\nexport {};\n`;
      const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false } }).outputText;
      const name = `${md.replace(/\W/g, '_')}_${n}.mjs`;
      writeFileSync(join(tmp, name), js);
      torun.push({ at, file: join(tmp, name) });
    }
  }
  for (const p of problems) console.log(`FAIL ${p}`);
  for (const s of skipped) console.log(`skip ${s.at}: ${s.reason}`);

  let failed = problems.length;
  if (torun.length) {
    writeFileSync(join(tmp, 'blocks.json'), JSON.stringify({ root: ROOT, images: IMAGES, files: FILES, blocks: torun }));
    const r = spawnSync(process.execPath, [join(HERE, 'runner.mjs'), join(tmp, 'blocks.json')], { cwd: work, stdio: ['ignore', 'inherit', 'inherit'] });
    failed += r.status ?? 1; // the runner exits with the number of blocks that failed
  }
  if (!keep) rmSync(tmp, { recursive: true, force: true });
  else console.log(`kept ${tmp}`);
  console.log(`doc code run: ${torun.length} blocks run, ${skipped.length} not run (reasons above)${failed ? `; FAILED: ${failed}` : ''}`);
  return { ran: torun.length, failed, skipped };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!existsSync(join(ROOT, 'dist/node.js'))) {
    console.error('Build the package first (npm run build).');
    process.exit(1);
  }
  const args = process.argv.slice(2);
  const given = args.filter((a) => !a.startsWith('--'));
  const files = given.length ? given.map((f) => join(process.cwd(), f)) : [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f))];
  process.exit(runBlocks(files, { keep: args.includes('--keep') }).failed ? 1 : 0);
}
