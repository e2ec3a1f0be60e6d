/**
 * The study command's files besides the report: its state file — every finished run kept (images as PNG) and
 * rewritten atomically after each run, so an interrupted study resumes — plus the `--pairs` and layer-list flags.
 * @module
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { VERSION } from '../../adapters/node.js';
import { decodeImage, encodeImage, readRegularFile, writeFileAtomic } from '../../adapters/node/image-io.js';
import type { StudyCache, StudyCacheEntry } from '../../insight/study.js';
import { base64 } from '../../insight/report.js';
import { UsageError } from '../args.js';
import { parseLayerSpec } from '../flag-values.js';
import type { NetworkArchitecture } from '../../core/architecture.js';

export const STATE_FORMAT = 'neural-style-tfjs/study-state@1';
/** The largest record or state file read (a state holds every finished run's images as PNGs). */
export const MAX_FILE_BYTES = 512 * 2 ** 20;

export const stemOf = (p: string): string => p.slice(0, p.length - extname(p).length);

/** `a.jpg:b.jpg,c.jpg:d.jpg` → pairs of paths. */
export function parsePairs(text: string): [string, string][] {
  const pairs = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (pairs.length === 0) throw new UsageError('--pairs needs content:style pairs, e.g. --pairs photo.jpg:starry.jpg,city.jpg:scream.jpg');
  return pairs.map((p) => {
    const i = p.lastIndexOf(':');
    if (i <= 0 || i === p.length - 1) throw new UsageError(`--pairs: "${p}" is not content:style (two image paths joined by ":")`);
    return [p.slice(0, i), p.slice(i + 1)];
  });
}

/** A list of layer names (no weights) from a flag. */
export function layerList(flag: string, text: string, network?: NetworkArchitecture): string[] {
  const spec = parseLayerSpec(flag, text, network);
  if (!Array.isArray(spec)) throw new UsageError(`--${flag} takes layer names without weights, e.g. conv1_1,conv3_1`);
  return [...(spec as readonly string[])];
}

/** Images in a state entry are stored as PNG (base64); everything else as JSON. */
function toJson(entry: StudyCacheEntry): unknown {
  if (entry.kind !== 'run') return entry;
  const { images, ...run } = entry.run;
  return { kind: 'run', run: { ...run, images: images.map((img) => base64(encodeImage(img, 'png'))) } };
}

function fromJson(v: unknown, source: string): StudyCacheEntry {
  const e = v as { kind?: string; run?: { images?: unknown } };
  if (e?.kind === 'receptive-fields') return e as StudyCacheEntry;
  if (e?.kind !== 'run' || !Array.isArray(e.run?.images)) throw new UsageError(`${source} holds an entry that is not a study run; delete the file or pass --fresh`, 'INVALID_RECORD');
  const images = (e.run!.images as string[]).map((b) => decodeImage(Uint8Array.from(Buffer.from(b, 'base64')), source));
  return { kind: 'run', run: { ...(e.run as object), images } } as StudyCacheEntry;
}

/** The state file as a {@link StudyCache}: read once, rewritten (atomically) after every finished run. */
export async function stateCache(path: string, fresh: boolean): Promise<StudyCache & { entries: number }> {
  const entries = new Map<string, unknown>();
  if (!fresh) {
    const bytes = existsSync(path) ? await readRegularFile(path, MAX_FILE_BYTES, 'INVALID_OPTION') : undefined;
    if (bytes) {
      let json: { format?: string; entries?: Record<string, unknown> };
      try {
        json = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof json;
      } catch {
        throw new UsageError(`--state ${path} is not JSON; delete it or pass --fresh to start over`, 'INVALID_RECORD');
      }
      if (json.format !== STATE_FORMAT || typeof json.entries !== 'object' || json.entries === null) throw new UsageError(`--state ${path} is not a study state file (format ${JSON.stringify(json.format)}); give another --state or pass --fresh`, 'INVALID_RECORD');
      for (const [k, v] of Object.entries(json.entries)) entries.set(k, v);
    }
  }
  const save = () => writeFileAtomic(path, JSON.stringify({ format: STATE_FORMAT, library: VERSION, entries: Object.fromEntries(entries) }));
  return {
    get entries() {
      return entries.size;
    },
    get: (key) => (entries.has(key) ? fromJson(entries.get(key), `--state ${path}`) : undefined),
    put: async (key, entry) => {
      entries.set(key, toJson(entry));
      await save();
    },
  };
}
