/**
 * README.md's links and pictures work where README is read without the repository around it: on the npm page and
 * in node_modules. Each link to a file of this repository is absolute and pinned to this version (GitHub at the
 * tag, jsDelivr for pictures), names a file that exists, ships in the package (`npm pack`'s file list) and, with a
 * #fragment, a heading of that file (scripts/doc-code/readme-links.mjs).
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without declarations
import { anchorsOf, linkBases, linkProblems, linksOf, packedFiles, readmeLinks } from '../scripts/doc-code/readme-links.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

describe('README links', () => {
  let packed: string[];
  beforeAll(() => {
    packed = packedFiles(ROOT);
  }, 120_000);

  it('every link to a repository file is pinned to this version, exists, ships in the package, and its #fragment is a heading', () => {
    const links = readmeLinks(ROOT) as { path: string; picture: boolean; target: string }[];
    expect(links.length).toBeGreaterThan(10);
    const { blob, cdn } = linkBases(ROOT);
    expect(links.filter((l) => l.picture).every((l) => l.target.startsWith(cdn))).toBe(true);
    expect(links.some((l) => l.target.startsWith(`${blob}docs/`))).toBe(true);
    expect(linkProblems(ROOT, packed)).toEqual([]);
  });

  it('docs/ ships: every docs page and figure the README can point to is in the package', () => {
    expect(packed).toEqual(expect.arrayContaining(['README.md', 'docs/browser.md', 'docs/cli.md', 'docs/figures/hero.jpg']));
  });

  it('the check finds what breaks: a relative link, another version, a missing file, an unshipped file, a missing heading', () => {
    const { blob } = linkBases(ROOT);
    expect(linksOf('![a](docs/figures/hero.jpg) [b](docs/cli.md#study)\n```\n[c](x.md)\n```\n`[d](y.md)`')).toEqual([
      { line: 1, picture: true, target: 'docs/figures/hero.jpg' },
      { line: 1, picture: false, target: 'docs/cli.md#study' },
    ]);
    expect(anchorsOf('# Tiled evaluation: images larger than the backend holds\n## `study`')).toEqual(new Set(['tiled-evaluation-images-larger-than-the-backend-holds', 'study']));
    // The real README against a file list without docs/: every docs link is reported as not shipped.
    const problems = linkProblems(ROOT, packed.filter((p) => !p.startsWith('docs/'))) as string[];
    expect(problems.length).toBeGreaterThan(5);
    expect(problems.every((p) => /is not in the package/.test(p))).toBe(true);
    expect(blob).toMatch(/\/blob\/v\d+\.\d+\.\d+/);
  });
});
