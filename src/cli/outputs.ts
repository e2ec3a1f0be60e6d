/**
 * What a CLI command writes, and the policy every command follows for it:
 * - every output path is checked before any work: a known extension, an existing writable folder, not a folder,
 *   and — if it exists — a regular file that is none of the command's inputs (compared by real path and by device
 *   and inode, so another relative path, a symlink or a hard link to an input is caught) and no other output;
 * - an existing output that passes is replaced, atomically: the bytes go to a temp file in the same folder
 *   (`.<name>.<pid>.<random>.tmp`) and are renamed over it, so it is the old file or the whole new one;
 * - the final outputs are staged as temp files and renamed together at the end, after a last check for Ctrl-C,
 *   so an interrupted or failed run writes none of them and leaves no temp file (also on a second Ctrl-C, which
 *   exits at once: pending temp files are removed on exit). Snapshots (`--save-every`) are written as they come.
 * - an exit on the spot ({@link exitWhenIdle}) waits for a temp file being created or a rename in progress, so the
 *   exit hook never races a file system call that would create a file after the hook removed the temp files.
 * @module
 */
import { constants as fsConstants, unlinkSync } from 'node:fs';
import { access, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { throwIfAborted } from '../util/checks.js';
import { encodeImage, fileKind, formatFromPath, tempPathBeside, writeTempBeside, type WritablePixels } from '../adapters/node/image-io.js';
import { UsageError } from './args.js';

interface Identity {
  real: string;
  dev: bigint;
  ino: bigint;
}

interface Named {
  /** How the command line names it: `-o`, `--gram`, `the content image`, `--replay`. */
  label: string;
  path: string;
}

/** Temp files not yet renamed or removed, by every plan: removed if the process exits on the spot. */
const pending = new Set<string>();
let exitHook = false;
function track(tmp: string): void {
  pending.add(tmp);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const t of pending) {
        try {
          unlinkSync(t);
        } catch {
          // already gone
        }
      }
    });
  }
}

async function identify(path: string): Promise<Identity | undefined> {
  try {
    const st = await stat(path, { bigint: true });
    return { real: await realpath(path), dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

const same = (a: Identity, b: Identity): boolean => a.real === b.real || (a.ino !== 0n && a.dev === b.dev && a.ino === b.ino);

/** File system calls in flight that create or rename a temp file, and the exit code waiting for them. */
let busy = 0;
let exitPending: number | undefined;

/** Runs `op` (which creates or renames temp files) so that an exit on the spot waits for it. */
async function fsCall<T>(op: () => Promise<T>): Promise<T> {
  busy++;
  try {
    return await op();
  } finally {
    busy--;
    if (busy === 0 && exitPending !== undefined) process.exit(exitPending);
  }
}

/**
 * Exits with `code` now, or — while a temp file is being created or renamed — as soon as that call returns, so
 * the exit hook removes every temp file and no rename publishes part of a run's outputs after it.
 */
export function exitWhenIdle(code: number): void {
  exitPending = code;
  if (busy === 0) process.exit(code);
}

export class OutputPlan {
  private readonly inputs: (Named & { id: Identity })[] = [];
  private readonly outputs: (Named & { target: string })[] = [];
  private readonly staged: { tmp: string; path: string }[] = [];
  private readonly snapshotSeries: { label: string; path: string; every: number; last: number }[] = [];

  /**
   * Adds an output: `kind` `'image'` needs .png/.jpg/.jpeg, `'json'` needs .json, `'html'` .html/.htm. Checks the folder exists and is
   * writable and that the path is not a folder or a special file. Resolves to the path.
   */
  async output(label: string, path: string, kind: 'image' | 'json' | 'html' = 'image'): Promise<string> {
    const ext = extname(path);
    if (kind === 'html' && !/^\.html?$/i.test(ext)) throw new UsageError(`${label} ${path}: the report is HTML; give a .html file name`);
    if (kind === 'image' && !formatFromPath(path)) throw new UsageError(`${label} ${path}: unknown image type "${ext || '(none)'}"; use .png, .jpg or .jpeg`);
    if (kind === 'json' && ext.toLowerCase() !== '.json') throw new UsageError(`${label} ${path}: the record is JSON; give a .json file name`);
    const dir = dirname(resolve(path));
    const dst = await stat(dir).catch(() => undefined);
    if (!dst) throw new UsageError(`${label} ${path}: the folder ${dir} does not exist`);
    if (!dst.isDirectory()) throw new UsageError(`${label} ${path}: ${dir} is not a folder`);
    await access(dir, fsConstants.W_OK).catch(() => {
      throw new UsageError(`${label} ${path}: cannot write to ${dir} (permission denied)`);
    });
    const st = await stat(path).catch(() => undefined);
    if (st?.isDirectory()) throw new UsageError(`${label} ${path} is a folder; give a file name`);
    if (st && !st.isFile()) {
      throw new UsageError(`${label} ${path} is ${fileKind(st)}; outputs replace regular files only`, 'OUTPUT_NOT_FILE');
    }
    const target = join(await realpath(dir), basename(path));
    const twin = this.outputs.find((o) => o.target === target);
    if (twin) throw new UsageError(`${label} ${path} and ${twin.label} ${twin.path} are the same file; give them different names`, 'OUTPUT_IS_INPUT');
    this.outputs.push({ label, path, target });
    return path;
  }

  /** Adds an input, so that no output may be it. A missing file is skipped (reading it reports that). */
  async input(label: string, path: string): Promise<void> {
    const id = await identify(path);
    if (id) this.inputs.push({ label, path, id });
  }

  /** `out.png` + 10 → `out-0010.png`: the name of a `--save-every` snapshot. */
  static numbered(path: string, n: number): string {
    const ext = extname(path);
    return `${path.slice(0, path.length - ext.length)}-${String(n).padStart(4, '0')}${ext}`;
  }

  /** Adds the snapshots `numbered(path, every·k)` for k = 1… up to iteration `last`. */
  snapshots(label: string, path: string, every: number, last: number): void {
    this.snapshotSeries.push({ label, path, every, last });
  }

  /** Refuses (exit 2) any output that is an existing input file. Call once outputs and inputs are added. */
  async check(): Promise<void> {
    for (const o of this.outputs) await this.checkNotInput(o.label, o.path);
    for (const s of this.snapshotSeries) {
      // Only existing files can be inputs: look for snapshot names among the folder's files.
      const dir = dirname(resolve(s.path));
      const ext = extname(s.path);
      const stem = basename(s.path, ext);
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const m = name.startsWith(`${stem}-`) && name.endsWith(ext) ? /^(\d{4,})$/.exec(name.slice(stem.length + 1, name.length - ext.length)) : null;
        const n = m ? Number(m[1]) : 0;
        if (n >= 1 && n <= s.last && n % s.every === 0) await this.checkNotInput(s.label, join(dir, name));
      }
    }
  }

  private async checkNotInput(label: string, path: string): Promise<void> {
    const id = await identify(path);
    const input = id && this.inputs.find((i) => same(i.id, id));
    if (input) throw new UsageError(`${label} ${path} is the same file as ${input.label} ${input.path}; refusing to overwrite an input: give another output name`, 'OUTPUT_IS_INPUT');
  }

  /** Encodes `pixels` by `path`'s extension and stages them (written by {@link commit}). */
  async stageImage(path: string, pixels: WritablePixels, quality?: number): Promise<void> {
    await this.stage(path, encodeImage(pixels, formatFromPath(path)!, { quality }));
  }

  /** Writes `bytes` to a temp file beside `path`; {@link commit} renames it into place. */
  async stage(path: string, bytes: Uint8Array | string): Promise<void> {
    const tmp = tempPathBeside(path);
    track(tmp);
    try {
      await fsCall(() => writeTempBeside(path, bytes, tmp));
    } catch (e) {
      pending.delete(tmp);
      throw e;
    }
    this.staged.push({ tmp, path });
  }

  /** Publishes everything staged, unless the run was interrupted; then (or on any error) removes the temp files. */
  async commit(signal: AbortSignal): Promise<void> {
    try {
      throwIfAborted(signal, 'The command');
      for (const { path } of this.staged) await this.checkNotInput('output', path);
      // All renames as one call: an exit on the spot waits for the last, so a run publishes all or none.
      await fsCall(async () => {
        while (this.staged.length) {
          const { tmp, path } = this.staged[0];
          await rename(tmp, resolve(path));
          pending.delete(tmp);
          this.staged.shift();
        }
      });
    } finally {
      await this.discard();
    }
  }

  /** Removes staged temp files (after a failure). */
  async discard(): Promise<void> {
    for (const { tmp } of this.staged.splice(0)) {
      await unlink(tmp).catch(() => undefined);
      pending.delete(tmp);
    }
  }

  /** Writes an image now (a snapshot), atomically, after checking it is not an input. */
  async writeImageNow(path: string, pixels: WritablePixels, quality?: number): Promise<void> {
    await this.checkNotInput('--save-every', path);
    const bytes = encodeImage(pixels, formatFromPath(path)!, { quality });
    const tmp = tempPathBeside(path);
    track(tmp);
    try {
      await fsCall(async () => {
        await writeTempBeside(path, bytes, tmp);
        await rename(tmp, resolve(path));
      });
    } finally {
      await unlink(tmp).catch(() => undefined);
      pending.delete(tmp);
    }
  }
}
