/**
 * Runs before every test file: selects `NST_TEST_BACKEND` when it is set (see test/helpers/backend.ts), so tests
 * that call `ready()` run on it.
 */
import { beforeAll } from 'vitest';
import { readyTestBackend } from '../helpers/backend.js';

if (process.env.NST_TEST_BACKEND) {
  beforeAll(async () => {
    await readyTestBackend();
  });
}
