#!/usr/bin/env node
/**
 * README.md is shown on the npm page and read in node_modules, where links relative to the repository go nowhere
 * (npm does not ship or rewrite every path). So every README link to a file of this repository is absolute and
 * pinned to this version: pictures (docs/figures) through jsDelivr's copy of the published package
 * (`https://cdn.jsdelivr.net/npm/<name>@<version>/docs/figures/…`), everything else to GitHub at the release tag
 * (`<repository>/blob/v<version>/docs/….md`). Each such file must exist in the repository and ship in the package
 * (so node_modules has it too and jsDelivr serves it), and a `#fragment` must name a heading of the file.
 *
 * Usage: node scripts/doc-code/readme-links.mjs [--fix]  (--fix rewrites relative and other-version links, then
 * checks). Exits 1 on a problem. test/doc-links.test.ts runs the same check against `npm pack`'s file list.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PICTURE = /\.(jpe?g|png|svg|gif|webp)$/i;

/** Where this version's files are: GitHub at the tag, jsDelivr's copy of the npm package. */
export function linkBases(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const repo = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
  return { repo, version: pkg.version, blob: `${repo}/blob/v${pkg.version}/`, cdn: `https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}/`, name: pkg.name };
}

/** The inline links and pictures of a Markdown text outside code blocks: { line, picture, target }. */
export function linksOf(text) {
  const out = [];
  let fenced = false;
  text.split('\n').forEach((l, i) => {
    if (/^\s*```/.test(l)) fenced = !fenced;
    if (fenced) return;
    for (const m of l.replace(/`[^`]*`/g, '').matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ line: i + 1, picture: m[1] === '!', target: m[2] });
    for (const m of l.matchAll(/<img\b[^>]*\bsrc="([^"]+)"/g)) out.push({ line: i + 1, picture: true, target: m[1] });
  });
  return out;
}

/** GitHub's anchors of a Markdown file's headings. */
export function anchorsOf(text) {
  const anchors = new Set();
  let fenced = false;
  for (const l of text.split('\n')) {
    if (/^\s*```/.test(l)) fenced = !fenced;
    const h = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (h) anchors.add(h[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return anchors;
}

/**
 * README's links to files of this repository: { line, picture, target, path (repo-relative), anchor, pinned (the
 * absolute form this version wants) }. External links are left out.
 */
export function readmeLinks(root) {
  const b = linkBases(root);
  const other = [new RegExp(`^${b.repo}/(?:blob|tree|raw)/[^/]+/`), new RegExp(`^https://cdn\\.jsdelivr\\.net/npm/${b.name}@[^/]+/`)];
  const out = [];
  for (const l of linksOf(readFileSync(join(root, 'README.md'), 'utf8'))) {
    if (l.target.startsWith('#') || /^mailto:/.test(l.target)) continue;
    let rel;
    if (!/^[a-z]+:/i.test(l.target)) rel = l.target.replace(/^\.\//, '');
    else {
      const base = other.find((re) => re.test(l.target));
      if (!base) continue; // another site
      rel = l.target.replace(base, '');
    }
    const [path, anchor] = rel.split('#');
    const pinned = `${PICTURE.test(path) ? b.cdn : b.blob}${path}${anchor ? `#${anchor}` : ''}`;
    out.push({ ...l, path, anchor, pinned });
  }
  return out;
}

/** What is wrong with README's links, given the packed file list (`npm pack --dry-run --json`'s paths). */
export function linkProblems(root, packed) {
  const shipped = new Set(packed);
  const problems = [];
  for (const l of readmeLinks(root)) {
    const at = `README.md:${l.line} ${l.target}`;
    if (l.target !== l.pinned) problems.push(`${at}: not pinned to this version's ${l.picture || PICTURE.test(l.path) ? 'jsDelivr copy' : 'GitHub tag'}; want ${l.pinned} (run node scripts/doc-code/readme-links.mjs --fix)`);
    if (!existsSync(join(root, l.path))) problems.push(`${at}: ${l.path} does not exist in the repository`);
    else if (!shipped.has(l.path)) problems.push(`${at}: ${l.path} is not in the package (package.json "files")`);
    else if (l.anchor && l.path.endsWith('.md') && !anchorsOf(readFileSync(join(root, l.path), 'utf8')).has(l.anchor)) problems.push(`${at}: ${l.path} has no heading #${l.anchor}`);
  }
  return problems;
}

/** The package's file list as `npm pack` would make it (no build: --ignore-scripts). */
export function packedFiles(root) {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack --dry-run failed: ${r.stderr}`);
  return JSON.parse(r.stdout)[0].files.map((f) => f.path);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  if (process.argv.includes('--fix')) {
    const file = join(root, 'README.md');
    let text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    for (const l of readmeLinks(root)) if (l.target !== l.pinned) lines[l.line - 1] = lines[l.line - 1].split(`](${l.target})`).join(`](${l.pinned})`);
    text = lines.join('\n');
    writeFileSync(file, text);
  }
  const problems = linkProblems(root, packedFiles(root));
  for (const p of problems) console.log(p);
  console.log(`README links: ${readmeLinks(root).length} to this repository's files, ${problems.length} problems`);
  process.exit(problems.length ? 1 : 0);
}
