/**
 * `--network vgg19|vgg16|FILE.json`: the loss network a command loads and resolves its layer names in. A file is a
 * `NetworkSpec` as JSON, validated by `defineNetwork`; every mistake is exit 2 naming the flag. Read once per
 * parsed command line (the flags object), synchronously, so the layer-list parsers can ask for it.
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { defineNetwork, VGG16, VGG19, type NetworkArchitecture, type NetworkSpec } from '../core/architecture.js';
import { StyleTransferError } from '../errors.js';
import { UsageError } from './args.js';
import { str, type Flags } from './context.js';

/** The built-in networks by their `--network` word. */
export const BUILT_IN_NETWORKS: Readonly<Record<string, NetworkArchitecture>> = { vgg19: VGG19, vgg16: VGG16 };

/** A spec file larger than this is refused before it is read (a spec has at most 512 short layers). */
const MAX_SPEC_BYTES = 256 * 1024;

const chosen = new WeakMap<Flags, NetworkArchitecture>();

/** The network `--network` names (VGG-19 when not given). */
export function networkOf(f: Flags): NetworkArchitecture {
  let arch = chosen.get(f);
  if (!arch) {
    arch = readNetwork(str(f, 'network'));
    chosen.set(f, arch);
  }
  return arch;
}

function readNetwork(value: string | undefined): NetworkArchitecture {
  if (value === undefined) return VGG19;
  const word = BUILT_IN_NETWORKS[value.trim().toLowerCase()];
  if (word) return word;
  if (!value.toLowerCase().endsWith('.json')) throw new UsageError(`--network is "${value}"; use ${Object.keys(BUILT_IN_NETWORKS).join(' or ')}, or a network spec file (.json)`);
  let text: string;
  try {
    const st = statSync(value);
    if (!st.isFile()) throw new UsageError(`--network ${value} is not a file; give a network spec (.json)`);
    if (st.size > MAX_SPEC_BYTES) throw new UsageError(`--network ${value} is ${st.size} bytes; a network spec is at most ${MAX_SPEC_BYTES} bytes`);
    text = readFileSync(value, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--network ${value} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a network spec (.json)`);
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--network ${value} is not JSON (${(e as Error).message.split('\n')[0]}); expected a network spec { "name", "layers": [...] } (see docs/networks.md)`, 'NETWORK_SPEC');
  }
  try {
    return defineNetwork(spec as NetworkSpec);
  } catch (e) {
    if (e instanceof StyleTransferError && e.code === 'NETWORK_SPEC') throw new UsageError(`--network ${value}: ${e.message}`, 'NETWORK_SPEC');
    throw e;
  }
}

/**
 * The `--weights` a network needs: VGG-19 may use the package's; any other network has no weights shipped, so
 * `--weights DIR` is required (exit 2 saying so).
 */
export function weightsFor(f: Flags): string | undefined {
  const arch = networkOf(f);
  const weights = str(f, 'weights');
  if (!weights && arch !== VGG19) {
    throw new UsageError(`--network ${str(f, 'network')} (${arch.name}) needs --weights DIR: the package ships VGG-19's weights only (write a folder with encodeWeights, see docs/networks.md)`);
  }
  return weights || undefined;
}

/**
 * Refuses, before anything is read, a network that lacks the layers a command would use by default, telling the
 * user which flag to pass: `defaults` maps a flag (`style-layers`) to the layers it defaults to.
 */
export function checkDefaultLayers(f: Flags, defaults: Readonly<Record<string, readonly string[]>>): void {
  const arch = networkOf(f);
  for (const [flag, layers] of Object.entries(defaults)) {
    if (f.get(flag) !== undefined) continue;
    const missing = layers.filter((l) => !arch.point(l));
    if (missing.length) {
      throw new UsageError(`${arch.name} has no ${missing.join(', ')} (the default --${flag}); pass --${flag} with its own layer names (${arch.firstRelus.join(', ')} …)`, 'UNKNOWN_LAYER');
    }
  }
}

/**
 * Refuses to replay a record made with another network than `--network` names (a record without `network` was
 * made with VGG-19), saying which flags reproduce it.
 */
export function checkRecordNetwork(f: Flags, source: string, record: { network?: string; weightsSha256: string }): void {
  const made = record.network ?? VGG19.name;
  const arch = networkOf(f);
  if (made === arch.name) return;
  const word = Object.keys(BUILT_IN_NETWORKS).find((k) => BUILT_IN_NETWORKS[k].name === made);
  const how = word === undefined ? `--network FILE.json (${made}'s spec)` : word === 'vgg19' ? 'no --network (or --network vgg19)' : `--network ${word}`;
  throw new UsageError(`${source} was made with ${made} (weights sha256 ${record.weightsSha256.slice(0, 12)}…), but this run loads ${arch.name}: pass ${how}${word === 'vgg19' ? '' : ' --weights DIR'} to replay it`, 'INVALID_RECORD');
}

/** `--network` as a file (a spec), so no output can replace it; undefined for a built-in network. */
export function networkFile(f: Flags): string | undefined {
  const v = str(f, 'network');
  return v !== undefined && BUILT_IN_NETWORKS[v.trim().toLowerCase()] === undefined ? v : undefined;
}
