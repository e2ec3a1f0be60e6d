/**
 * The ts/js code blocks of a Markdown file and their `<!-- doc-code: … -->` notes (the HTML comments on the lines
 * right before a block; invisible on GitHub and npm). Shared by scripts/check-doc-code.mjs (type-check) and
 * scripts/doc-code/run-blocks.mjs (run).
 */
import { readFileSync } from 'node:fs';

/** Each block: language, first code line (1-based), code (fence indentation removed), and its doc-code notes. */
export function blocksOf(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|typescript|js|javascript)\b/.exec(lines[i]);
    if (!open) {
      if (/^\s*```/.test(lines[i])) {
        // another language's block: skip to its end so its contents are not taken for fences
        for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++);
      }
      continue;
    }
    const notes = [];
    for (let j = i - 1; j >= 0 && /^\s*<!--\s*doc-code:/.test(lines[j]); j--) notes.unshift(/doc-code:\s*([\s\S]*?)\s*-->/.exec(lines[j])?.[1] ?? '');
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    const indent = open[1].length;
    out.push({ lang: open[2], line: start + 1, code: lines.slice(start, end).map((l) => l.slice(indent)).join('\n'), notes });
    i = end;
  }
  return out;
}

/**
 * A block's `declare` notes as TypeScript: `declare const x: T;` stays as it is (the convention's `declare` doubles
 * as TypeScript's), anything else (an import) loses the leading `declare `.
 */
export function declarationsOf(block) {
  return block.notes.filter((x) => x.startsWith('declare ')).map((x) => (/^declare (const|let|function|class) /.test(x) ? x : x.slice('declare '.length)));
}

/** The reason of a `skip` (not type-checked, not run) or `no-run` (type-checked, not run) note, or undefined. */
export function noteReason(block, kind) {
  const note = block.notes.find((x) => x === kind || x.startsWith(`${kind} `));
  return note === undefined ? undefined : note.slice(kind.length).trim();
}
