import { totalmem } from 'node:os';

/**
 * The memory this process may use: the machine's, or the container's cgroup limit when that is lower
 * (`process.constrainedMemory()`, Node ≥ 19.6; it reports 0 or a huge number when there is none).
 */
export function nodeHostMemory(): number {
  const total = totalmem();
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  return constrained !== undefined && constrained > 0 && constrained < total ? constrained : total;
}
