import { execFileSync } from 'node:child_process';

/**
 * Whether an `ffmpeg` binary is on PATH. Tests that need it skip without it, unless NST_REQUIRE_FFMPEG=1 (CI
 * installs Debian's ffmpeg and sets it, so a missing binary fails there instead of skipping).
 */
export const hasFfmpeg = (() => {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasFfmpeg && process.env.NST_REQUIRE_FFMPEG === '1') throw new Error('NST_REQUIRE_FFMPEG=1 but there is no ffmpeg on PATH');
