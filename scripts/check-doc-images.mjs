#!/usr/bin/env node
/**
 * Checks the pictures of the README and docs/*.md, as GitHub and npmjs.com will show them:
 * - every image link (`![alt](path)`, `<img src="path">`) is a relative path to a file committed in git (not
 *   gitignored, not outside the repository, not a remote URL that may go away), or, in the README (shown on the
 *   npm page), the same file through jsDelivr's copy of this version's package (scripts/doc-code/readme-links.mjs);
 * - every picture in docs/figures/ is linked from somewhere (no orphans left behind by a renamed figure);
 * - all committed pictures under docs/ together take at most 2 MB.
 *
 *   node scripts/check-doc-images.mjs [repository folder]    # also run by `npm test` (test/doc-images.test.ts)
 *
 * Exits 1 with one line per problem. Needs git (it asks `git ls-files` what is committed).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { linkBases } from './doc-code/readme-links.mjs';

/** 2 MB, for all committed pictures under docs/ together. */
export const MAX_PICTURE_BYTES = 2_000_000;
const PICTURE = /\.(png|jpe?g|gif|svg|webp)$/i;

/** The Markdown files whose pictures are checked, relative to the repository root. */
export function markdownFiles(root) {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'docs/figures/README.md'].filter(
    (f, i, all) => all.indexOf(f) === i && safeStat(join(root, f))?.isFile(),
  );
}

/** Image targets in Markdown text: `![alt](target "title")`, reference definitions used by `![alt][ref]`, and `<img src>`. */
export function imageLinks(markdown) {
  const text = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const links = [];
  for (const m of text.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push(m[1]);
  const refs = new Map([...text.matchAll(/^\s*\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((m) => [m[1].toLowerCase(), m[2]]));
  for (const m of text.matchAll(/!\[([^\]]*)\]\[([^\]]*)\]/g)) {
    const target = refs.get((m[2] || m[1]).toLowerCase());
    if (target) links.push(target);
  }
  for (const m of text.matchAll(/<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']/gi)) links.push(m[1]);
  return links;
}

function safeStat(path) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Returns a list of problems (empty when all is well) and what was checked. */
export function checkDocImages(root = fileURLToPath(new URL('../', import.meta.url))) {
  const committed = new Set(execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean));
  const problems = [];
  const linked = new Set();
  const cdn = safeStat(join(root, 'package.json')) ? linkBases(root).cdn : undefined;
  for (const file of markdownFiles(root)) {
    for (const link of imageLinks(readFileSync(join(root, file), 'utf8'))) {
      const where = `${file}: image ${link}`;
      const target = file === 'README.md' && cdn && link.startsWith(cdn) ? link.slice(cdn.length) : link;
      if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(target)) {
        problems.push(`${where} is a URL; commit the picture and link it by a relative path`);
        continue;
      }
      if (target.startsWith('/')) {
        problems.push(`${where} is an absolute path; npm and GitHub resolve only paths relative to the Markdown file`);
        continue;
      }
      const path = relative(root, resolve(root, dirname(file), decodeURIComponent(target.split(/[?#]/)[0]))).split('\\').join('/');
      if (path.startsWith('..')) problems.push(`${where} points outside the repository`);
      else if (!committed.has(path)) problems.push(`${where}: ${path} is ${safeStat(join(root, path)) ? 'not committed (gitignored or not added)' : 'missing'}`);
      else linked.add(path);
    }
  }
  const pictures = [...committed].filter((f) => f.startsWith('docs/') && PICTURE.test(f) && safeStat(join(root, f)));
  for (const f of pictures) if (f.startsWith('docs/figures/') && !linked.has(f)) problems.push(`${f} is committed but no README or docs page shows it`);
  const bytes = pictures.reduce((n, f) => n + statSync(join(root, f)).size, 0);
  if (bytes > MAX_PICTURE_BYTES) problems.push(`the pictures under docs/ take ${bytes} bytes; the limit is ${MAX_PICTURE_BYTES} (2 MB)`);
  return { problems, linked: [...linked].sort(), pictures: pictures.sort(), bytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { problems, linked, pictures, bytes } = checkDocImages(process.argv[2] ? resolve(process.argv[2]) : undefined);
  for (const p of problems) console.error(`check-doc-images: ${p}`);
  console.log(`check-doc-images: ${linked.length} linked pictures, ${pictures.length} committed under docs/ (${bytes} bytes of ${MAX_PICTURE_BYTES})${problems.length ? `, ${problems.length} problem(s)` : ', all good'}`);
  process.exit(problems.length ? 1 : 0);
}
