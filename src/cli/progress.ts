/**
 * A progress bar on stderr. On a terminal it redraws one line in place (at most ~10 times a second); elsewhere
 * (a pipe, a CI log) it prints a plain line at every quarter, so logs stay short and readable.
 * @module
 */

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface ProgressBar {
  /** Sets the position (done of total) and the text after the bar. */
  update(done: number, total: number, text?: string): void;
  /** Prints a message on its own line (above the bar on a terminal). */
  log(message: string): void;
  /** Ends the bar (leaves the last state visible on a terminal). */
  done(text?: string): void;
}

export const fmtMs = (ms: number): string => {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
};

/** A bar that writes nothing (for --quiet). */
export const silentProgress: ProgressBar = { update() {}, log() {}, done() {} };

/** A progress bar for `stream` (stderr), labelled `label`. */
export function createProgress(stream: ProgressStream, label: string): ProgressBar {
  const tty = Boolean(stream.isTTY);
  const start = Date.now();
  let lastDraw = 0;
  let lastQuarter = -1;
  let drawn = false;
  let line = '';
  const render = (done: number, total: number, text: string): string => {
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 60));
    const f = total > 0 ? Math.min(1, done / total) : 0;
    const fill = Math.round(f * width);
    const elapsed = Date.now() - start;
    const eta = f > 0 && f < 1 ? ` eta ${fmtMs((elapsed / f) * (1 - f))}` : '';
    return `${label} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${done}/${total} ${text} ${fmtMs(elapsed)}${eta}`.trimEnd();
  };
  const clear = (): void => {
    if (tty && drawn) stream.write('\r\x1b[2K');
  };
  return {
    update(done, total, text = '') {
      if (tty) {
        const nowMs = Date.now();
        if (nowMs - lastDraw < 100 && done < total) return;
        lastDraw = nowMs;
        line = render(done, total, text);
        const cols = stream.columns ?? 120;
        stream.write(`\r\x1b[2K${line.length > cols - 1 ? line.slice(0, cols - 1) : line}`);
        drawn = true;
      } else {
        const q = total > 0 ? Math.floor((done / total) * 4) : 0;
        if (q > lastQuarter && (q > 0 || done === 0)) {
          lastQuarter = q;
          stream.write(`${render(done, total, text)}\n`);
        }
      }
    },
    log(message) {
      clear();
      stream.write(`${message}\n`);
      if (tty && drawn) stream.write(line);
    },
    done(text) {
      if (tty && drawn) stream.write('\n');
      if (text) stream.write(`${text}\n`);
      drawn = false;
    },
  };
}
