import { StyleTransferError, describe } from '../errors.js';
import { closest } from '../util/checks.js';
import type { LayerName } from './vgg-names.js';

/**
 * A loss network described as data: a stack of 3x3 'same' convolutions (stride 1, with a bias), ReLUs and 2x2
 * stride-2 pools, in forward order. The run's `pooling` option decides whether a pool takes the maximum (the
 * network's own, default) or the average. VGG-19 ({@link VGG19_SPEC}) and VGG-16 ({@link VGG16_SPEC}) are
 * built in; {@link vggSpec} writes a VGG-style spec from its blocks; any other conv stack is a list of layers.
 */
export interface NetworkSpec {
  /** The name messages and records use, e.g. `"VGG-16"`. */
  name: string;
  /** The `architecture` its weights manifest names. Default: `name`. */
  id?: string;
  /** How RGB pixels (0–255) become the network's input. Default: Caffe's, as VGG's Keras and Caffe releases use. */
  input?: InputConvention;
  /** The layers in forward order. At most {@link MAX_SPEC_LAYERS}. */
  layers: readonly LayerSpec[];
  /** Other names for points: alias → a layer's name (VGG specs map Keras `block3_conv1` to `relu3_1`). */
  aliases?: Readonly<Record<string, string>>;
  /** What an unknown layer's error says the names look like (VGG specs: the convN_M/reluN_M/poolN pattern). */
  namingHint?: string;
}

/** One layer of a {@link NetworkSpec}: a 3x3 conv with `filters` outputs, a ReLU, or a 2x2 pool, each a named point. */
export type LayerSpec = { conv: string; filters: number } | { relu: string } | { pool: string };

/**
 * Pixel convention: input = (pixels in `order` − `mean`) / `std`, all in 0–255 units, per channel of `order`.
 * Caffe VGG: `{ order: 'bgr', mean: [103.939, 116.779, 123.68] }`; a torchvision model (0–1 input normalised by
 * ImageNet statistics): `{ order: 'rgb', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] }`.
 */
export interface InputConvention {
  order: 'rgb' | 'bgr';
  mean: readonly [number, number, number];
  /** Default: none (1). */
  std?: readonly [number, number, number];
}

export type PointKind = 'conv' | 'relu' | 'pool';

/** One tappable point of a network, in forward order (`N`: its names' type, VGG-19's for VGG-19). */
export interface NetworkPoint<N extends string = string> {
  name: N;
  kind: PointKind;
  /** Position in forward order (0 = the first layer). */
  index: number;
  /** Block number from 1: the pools seen before this point, plus one (a pool ends its block). */
  block: number;
  /** Index of the conv layer whose output this point derives from (the last conv before it; -1 before any). */
  convIndex: number;
  /** Channels of its activation. */
  channels: number;
  /** Spatial downsampling factor relative to the input (2 to the number of pools up to and including it). */
  stride: number;
}

/** One conv layer's weights, as a manifest or {@link loadNetwork} must provide them. */
export interface ConvLayerShape {
  name: string;
  inChannels: number;
  outChannels: number;
  /** True when a pool follows before the next conv (the resolution halves after it). */
  poolAfter: boolean;
}

/** Limits a spec must keep, so no spec can make the library allocate without bound. */
export const MAX_SPEC_LAYERS = 512;
export const MAX_SPEC_CHANNELS = 8192;
/** Pools in a spec: each halves the image, 16 already need 65536 px. */
export const MAX_SPEC_POOLS = 16;

export const CAFFE_INPUT: InputConvention = { order: 'bgr', mean: [103.939, 116.779, 123.68] };

/**
 * A network's geometry, derived once from its {@link NetworkSpec}: its points, its conv layers' shapes and the
 * layer-name resolution. Pure data (no tensors): the run plan, tiling, region masks and the CLI read it before any
 * weight is loaded; a loaded model carries its own as `model.architecture`.
 */
export class NetworkArchitecture<N extends string = string> {
  readonly name: string;
  readonly id: string;
  readonly input: InputConvention;
  /** Every point in forward order. */
  readonly points: readonly NetworkPoint<N>[];
  /** The conv layers in order (the weight layout). */
  readonly convs: readonly ConvLayerShape[];
  /** Canonical point names, in forward order. */
  readonly names: readonly N[];
  private readonly byName: ReadonlyMap<string, NetworkPoint<N>>;
  private readonly aliases: ReadonlyMap<string, string>;
  private readonly hint: string | undefined;

  /** @internal use {@link defineNetwork}, which validates the spec. */
  constructor(spec: NetworkSpec) {
    this.name = spec.name;
    this.id = spec.id ?? spec.name;
    this.input = spec.input ?? CAFFE_INPUT;
    const points: NetworkPoint<N>[] = [];
    const convs: ConvLayerShape[] = [];
    let channels = 3;
    let stride = 1;
    let block = 1;
    for (const l of spec.layers) {
      const base = { index: points.length, block, convIndex: convs.length - 1, channels, stride };
      if ('conv' in l) {
        convs.push({ name: l.conv, inChannels: channels, outChannels: l.filters, poolAfter: false });
        channels = l.filters;
        points.push({ ...base, name: l.conv as N, kind: 'conv', convIndex: convs.length - 1, channels });
      } else if ('relu' in l) points.push({ ...base, name: l.relu as N, kind: 'relu' });
      else {
        stride *= 2;
        if (convs.length) convs[convs.length - 1].poolAfter = true;
        points.push({ ...base, name: l.pool as N, kind: 'pool', stride });
        block++;
      }
    }
    this.points = points;
    this.convs = convs;
    this.names = points.map((p) => p.name);
    this.byName = new Map(points.map((p) => [p.name, p]));
    this.aliases = new Map(Object.entries(spec.aliases ?? {}));
    this.hint = spec.namingHint;
  }

  /** The point named `name` (or an alias of it), or undefined. */
  point(name: string): NetworkPoint<N> | undefined {
    const direct = this.byName.get(name);
    if (direct) return direct;
    const target = this.aliases.get(name);
    return target === undefined ? undefined : this.byName.get(target);
  }

  /**
   * Resolves a layer name (canonical, or an alias such as Keras `block3_conv1` for VGG) to its point. Throws
   * UNKNOWN_LAYER naming the network, the field and the closest names.
   */
  resolve(name: string, field = 'layer'): NetworkPoint<N> {
    if (typeof name !== 'string') {
      throw new StyleTransferError('UNKNOWN_LAYER', `${field}: layer names are strings like "${this.exampleName()}"; got ${typeof name}.`, { field, layer: name, network: this.name });
    }
    const found = this.point(name.trim());
    if (found) return found;
    const close = this.suggestions(name.trim());
    const hint = this.hint ?? `Its layers: ${this.names.length > 12 ? `${this.names.slice(0, 12).join(', ')}, …` : this.names.join(', ')}`;
    throw new StyleTransferError(
      'UNKNOWN_LAYER',
      `${field}: unknown ${this.name} layer "${name}". ${hint}${close.length ? ` (did you mean ${close.join(', ')}?)` : ''}.`,
      { field, layer: name, network: this.name },
    );
  }

  /** The points of the conv layers, in order (the layers a per-layer study or sweep walks). */
  get convPoints(): readonly NetworkPoint<N>[] {
    return this.points.filter((p) => p.kind === 'conv');
  }

  /** The conv layers' names grouped by block (VGG-19: [conv1_1, conv1_2], [conv2_1, conv2_2], [conv3_1 … conv3_4], …). */
  get convBlocks(): readonly (readonly N[])[] {
    const blocks: N[][] = [];
    for (const p of this.convPoints) (blocks[p.block - 1] ??= []).push(p.name);
    return blocks.filter((b) => b !== undefined);
  }

  /** The first ReLU of each block, in order (VGG: relu1_1, relu2_1, …): the usual style layers. */
  get firstRelus(): readonly N[] {
    const seen = new Set<number>();
    return this.points.filter((p) => p.kind === 'relu' && !seen.has(p.block) && seen.add(p.block)).map((p) => p.name);
  }

  private exampleName(): N {
    return this.points.find((p) => p.kind === 'relu')?.name ?? this.names[0];
  }

  /** Names ending like `name` ("rel4_2" → conv4_2, relu4_2); else the last layer of its kind in its block; else the closest. */
  private suggestions(name: string): string[] {
    const sameEnd = this.names.filter((n) => n.slice(-3) === name.slice(-3)).slice(0, 3);
    if (sameEnd.length) return sameEnd;
    const m = /^(conv|relu)(\d+)_\d+$/.exec(name);
    if (m) {
      const inBlock = this.points.filter((p) => p.kind === m[1] && p.block === Number(m[2]));
      if (inBlock.length) return [inBlock[inBlock.length - 1].name];
    }
    const c = closest(name, this.names);
    return c ? [c] : [];
  }
}

/** Validates a spec and derives its {@link NetworkArchitecture}; a bad spec throws NETWORK_SPEC naming the field. */
export function defineNetwork<N extends string = string>(spec: NetworkSpec): NetworkArchitecture<N> {
  const fail = (field: string, got: unknown, expected: string): never => {
    throw new StyleTransferError('NETWORK_SPEC', `Network spec: \`${field}\` is ${describe(got)}; expected ${expected}.`, { field, got: describe(got), expected });
  };
  if (typeof spec !== 'object' || spec === null) return fail('spec', spec, 'an object { name, layers, input?, aliases? }');
  const known = new Set(['name', 'id', 'input', 'layers', 'aliases', 'namingHint']);
  for (const k of Object.keys(spec)) if (!known.has(k)) fail(k, (spec as unknown as Record<string, unknown>)[k], `no such field (known: ${[...known].join(', ')})`);
  if (typeof spec.name !== 'string' || !spec.name.trim()) fail('name', spec.name, 'a non-empty string such as "VGG-16"');
  if (spec.id !== undefined && (typeof spec.id !== 'string' || !spec.id.trim())) fail('id', spec.id, 'a non-empty string (the manifest\'s `architecture`)');
  if (spec.namingHint !== undefined && typeof spec.namingHint !== 'string') fail('namingHint', spec.namingHint, 'a string');
  checkInput(spec.input, fail);
  const layers = spec.layers;
  if (!Array.isArray(layers) || layers.length < 1 || layers.length > MAX_SPEC_LAYERS) return fail('layers', layers, `an array of 1 to ${MAX_SPEC_LAYERS} layers`);
  const names = new Set<string>();
  let pools = 0;
  let convs = 0;
  layers.forEach((l: unknown, i) => {
    const at = `layers[${i}]`;
    const o = l as Record<string, unknown>;
    const keys = typeof l === 'object' && l !== null ? Object.keys(l).sort().join(',') : '';
    if (keys !== 'conv,filters' && keys !== 'relu' && keys !== 'pool') fail(at, l, '{ conv: name, filters }, { relu: name } or { pool: name }');
    const name = o.conv ?? o.relu ?? o.pool;
    if (typeof name !== 'string' || !/^[A-Za-z][\w.-]{0,63}$/.test(name)) fail(`${at}.${keys.split(',')[0] === 'conv' ? 'conv' : keys}`, name, 'a name of letters, digits, "_", "." or "-" starting with a letter (at most 64)');
    if (names.has(name as string)) fail(at, name, `a name not used before ("${name as string}" repeats)`);
    names.add(name as string);
    if ('filters' in o) {
      convs++;
      if (!Number.isSafeInteger(o.filters) || (o.filters as number) < 1 || (o.filters as number) > MAX_SPEC_CHANNELS) fail(`${at}.filters`, o.filters, `a whole number of channels from 1 to ${MAX_SPEC_CHANNELS}`);
    } else if ('pool' in o && ++pools > MAX_SPEC_POOLS) fail(at, l, `at most ${MAX_SPEC_POOLS} pools`);
    else if ('relu' in o && convs === 0) fail(at, l, 'a conv before the first ReLU (the input is not an activation)');
  });
  if (convs === 0) fail('layers', layers, 'at least one { conv, filters } layer');
  if (spec.aliases !== undefined) {
    if (typeof spec.aliases !== 'object' || spec.aliases === null) fail('aliases', spec.aliases, 'an object alias → layer name');
    for (const [alias, target] of Object.entries(spec.aliases)) {
      if (names.has(alias)) fail(`aliases.${alias}`, target, `an alias that is not itself a layer name`);
      if (typeof target !== 'string' || !names.has(target)) fail(`aliases.${alias}`, target, `the name of one of the spec's layers`);
    }
  }
  return new NetworkArchitecture<N>(spec);
}

function checkInput(input: unknown, fail: (field: string, got: unknown, expected: string) => never): void {
  if (input === undefined) return;
  const i = input as Record<string, unknown>;
  if (typeof input !== 'object' || input === null) fail('input', input, '{ order: "rgb" | "bgr", mean: [a, b, c], std? }');
  if (i.order !== 'rgb' && i.order !== 'bgr') fail('input.order', i.order, '"rgb" or "bgr"');
  const triple = (field: 'mean' | 'std', positive: boolean) => {
    const v = i[field];
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))) {
      fail(`input.${field}`, v, `three finite numbers${positive ? ' above 0' : ''} in 0–255 units, one per channel`);
    }
  };
  triple('mean', false);
  if (i.std !== undefined) triple('std', true);
}

/**
 * A VGG-style spec from its blocks: block b's convs are `convb_m` (before the ReLU) and `relub_m` (after), the
 * block ends with `poolb`; Keras names (`blockb_convm` = `relub_m`, `blockb_pool` = `poolb`) are aliases.
 * `blocks` lists each block's conv widths, e.g. VGG-16: `[[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]`.
 */
export function vggSpec(name: string, blocks: readonly (readonly number[])[], extra: Pick<NetworkSpec, 'id' | 'input'> = {}): NetworkSpec {
  const layers: LayerSpec[] = [];
  const aliases: Record<string, string> = {};
  blocks.forEach((widths, b) => {
    widths.forEach((filters, m) => {
      layers.push({ conv: `conv${b + 1}_${m + 1}`, filters }, { relu: `relu${b + 1}_${m + 1}` });
      aliases[`block${b + 1}_conv${m + 1}`] = `relu${b + 1}_${m + 1}`;
    });
    layers.push({ pool: `pool${b + 1}` });
    aliases[`block${b + 1}_pool`] = `pool${b + 1}`;
  });
  // "M in 1–2 for blocks 1–2, 1–4 for blocks 3–5": runs of blocks with the same conv count.
  const runs: string[] = [];
  blocks.forEach((w, b) => {
    const prev = runs.length ? blocks[b - 1].length : -1;
    if (w.length === prev) runs[runs.length - 1] = runs[runs.length - 1].replace(/blocks? (\d+)(–\d+)?$/, (_, first: string) => `blocks ${first}–${b + 1}`);
    else runs.push(`1–${w.length} for block ${b + 1}`);
  });
  const namingHint = `Use convN_M (before ReLU), reluN_M (after ReLU) or poolN, with block N in 1–${blocks.length} and M in ${runs.join(', ')}`;
  return { name, ...extra, layers, aliases, namingHint };
}

/** VGG-19 (Simonyan & Zisserman 2014, configuration E): the library's default loss network, in Keras' weight layout. */
export const VGG19_SPEC: NetworkSpec = vggSpec('VGG-19', [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]], { id: 'vgg19-conv' });
/** VGG-16 (configuration D): blocks of 2, 2, 3, 3, 3 convs, Keras' weight layout (`conv1_1` … `conv5_3`). */
export const VGG16_SPEC: NetworkSpec = vggSpec('VGG-16', [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]], { id: 'vgg16-conv' });

/** VGG-19's architecture (its names typed, for autocompletion). */
export const VGG19: NetworkArchitecture<LayerName> = defineNetwork<LayerName>(VGG19_SPEC);
/** VGG-16's architecture; its names are a subset of VGG-19's (`conv5_3` is its last conv). */
export const VGG16: NetworkArchitecture<LayerName> = defineNetwork<LayerName>(VGG16_SPEC);

/** Architectures defined from spec objects, so a spec passed twice (or a built-in one) gives one architecture. */
const defined = new WeakMap<NetworkSpec, NetworkArchitecture>([[VGG19_SPEC, VGG19], [VGG16_SPEC, VGG16]]);

/** A spec or an already defined architecture, as the loaders accept them (`VGG16_SPEC` gives {@link VGG16}). */
export function architectureOf<N extends string = string>(network: NetworkSpec | NetworkArchitecture<N>): NetworkArchitecture<N> {
  if (network instanceof NetworkArchitecture) return network;
  let arch = defined.get(network);
  if (!arch) {
    arch = defineNetwork<N>(network);
    defined.set(network, arch);
  }
  return arch as NetworkArchitecture<N>;
}
