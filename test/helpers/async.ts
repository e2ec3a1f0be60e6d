/** Small async helpers shared by tests. */
import { isStyleTransferError } from '../../src/errors.js';

/** The error code a promise rejects with (`'no error'` when it resolves, `not coded: …` for a plain error). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isStyleTransferError(e) ? e.code : `not coded: ${String(e)}`;
  }
  return 'no error';
}

/** Every item of an async iterable, in order. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
