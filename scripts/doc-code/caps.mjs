/**
 * The wrapper that makes doc blocks run fast: the functions that run an optimisation get at most MAX_SIZE px and
 * MAX_ITERATIONS iterations, whatever the block asks for (a block shows real settings, e.g. `size: 256,
 * iterations: 100`; run as written it would take minutes). Everything else is the built package untouched.
 * `capsApplied` collects what was changed, so the runner can say it.
 */
export const MAX_SIZE = 32;
export const MAX_ITERATIONS = 2;

/** Per export name: where its options are in the arguments, and whether it returns a session to wrap too. */
export const CAPPED = {
  stylize: { options: 0 },
  sweep: { options: 0 },
  reconstruct: { options: 0 },
  study: { options: 0 },
  createStylizer: { session: true },
  createWorkerStylizer: { session: true },
};
/** A session's methods that run: (content, style, options). */
const SESSION_METHODS = { stylize: 2, steps: 2 };

export const capsApplied = [];

function capIterations(v) {
  if (v === undefined) return MAX_ITERATIONS;
  // a list (per scale, or a sweep's snapshot counts) stays increasing: [20, 80] -> [1, 2]
  if (Array.isArray(v)) return v.map((n, i) => Math.min(n, i + 1, MAX_ITERATIONS));
  return Math.min(v, MAX_ITERATIONS);
}

function capOptions(where, options) {
  const o = options ?? {};
  const capped = { ...o, size: Math.min(o.size ?? MAX_SIZE, MAX_SIZE), iterations: capIterations(o.iterations) };
  const said = [];
  if (o.size !== capped.size) said.push(`size ${o.size ?? 'default'}→${capped.size}`);
  if (JSON.stringify(o.iterations) !== JSON.stringify(capped.iterations)) said.push(`iterations ${JSON.stringify(o.iterations) ?? 'default'}→${JSON.stringify(capped.iterations)}`);
  if (said.length) capsApplied.push(`${where}: ${said.join(', ')}`);
  return capped;
}

function wrapSession(name, session) {
  return new Proxy(session, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const at = SESSION_METHODS[prop];
      if (at === undefined) return value.bind(target);
      return (...args) => {
        args[at] = capOptions(`${name}().${String(prop)}`, args[at]);
        return value.apply(target, args);
      };
    },
  });
}

/** `fn` (the package's export `name`) with its options capped, or `fn` itself when it is not one that runs. */
export function capped(name, fn) {
  const spec = CAPPED[name];
  if (!spec || typeof fn !== 'function') return fn;
  if (spec.session) return async (...args) => wrapSession(name, await fn(...args));
  return (...args) => {
    args[spec.options] = capOptions(`${name}()`, args[spec.options]);
    return fn(...args);
  };
}
