/**
 * stdout for the CLI's output (help, `--json` events). A reader that stops early (`… --json | head -1`) closes the
 * pipe: the next write fails with EPIPE. The command then goes on without stdout — nobody is left to read the rest
 * — and ends as it would have (its files written, or on an error none, temp files removed, the same exit code), so
 * what a run leaves on disk never depends on when the reader went away.
 * @module
 */

let closed = false;

/** True once stdout's reader has gone (EPIPE) or the stream was destroyed. */
export const stdoutClosed = (): boolean => closed || process.stdout.destroyed;

/** Writes `text` to stdout, unless its reader has gone. */
export function writeStdout(text: string): void {
  if (!stdoutClosed()) process.stdout.write(text);
}

/** Installs the listener that turns EPIPE on stdout into "stop writing there" (the executable calls it once). */
export function watchStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
      closed = true;
      return;
    }
    throw e;
  });
}
