/**
 * The backend a test run uses: `NST_TEST_BACKEND` (`wasm`, `cpu`, `tensorflow`), default `wasm`. Thread count for
 * WASM comes from `NST_WASM_THREADS`, which the Node adapter reads at import. `npm run test:backends` runs the
 * backend spec (golden, gradient and leak tests) once per backend available here.
 */
import { ready } from '../../src/adapters/node.js';

export type TestBackend = 'wasm' | 'cpu' | 'tensorflow';

export function testBackend(): TestBackend {
  const name = process.env.NST_TEST_BACKEND ?? 'wasm';
  if (name !== 'wasm' && name !== 'cpu' && name !== 'tensorflow') throw new Error(`NST_TEST_BACKEND is "${name}"; expected wasm, cpu or tensorflow.`);
  return name;
}

/** Selects the run's backend and waits for it (every later `ready()` returns it). */
export async function readyTestBackend(): Promise<TestBackend> {
  const name = testBackend();
  const got = await ready(name);
  if (got !== name) throw new Error(`asked for the ${name} backend, got ${got}`);
  return name;
}
