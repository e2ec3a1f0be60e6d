import { StyleTransferError } from '../../errors.js';
import { VGG19, type NetworkArchitecture, type NetworkPoint } from '../../core/architecture.js';
import { TILE_REMAINDER_DIVISOR } from '../../plan/tuning.js';

/**
 * The geometry of tiled evaluation: where the tiles are, how much halo each needs, and which rows and columns of
 * every activation belong to a tile's interior. Pure arithmetic, no tensors.
 *
 * Along each axis the tile borders are multiples of `align`, the stride of the deepest point the pass computes (16
 * up to `relu5_1`), and so is the halo; every crop then starts at a multiple of every stride it meets, so its 2x2
 * pools pair the same positions as the whole image's, and a tile's interior at a point of stride s is exactly the
 * positions [y0/s, y1/s) of the whole image's activation (the last tile takes the rest: pools round down).
 */

/** One tile along one axis, in input pixels: the interior it owns and the crop (interior + halo) it computes. */
export interface Span {
  /** Interior [start, end): the positions whose Gram contributions and gradient this tile provides. */
  start: number;
  end: number;
  /** Crop [cropStart, cropEnd) fed to the network: the interior with the halo on each side, clipped to the image. */
  cropStart: number;
  cropEnd: number;
  /** True for the last tile along the axis (its interior runs to the image's edge). */
  last: boolean;
}

/** One tile of the image. */
export interface Tile {
  /** Row-major index and position in the grid. */
  index: number;
  row: number;
  col: number;
  y: Span;
  x: Span;
}

/** How an image is cut into tiles; see {@link tileLayout}. */
export interface TileLayout {
  height: number;
  width: number;
  /** Interior side of a tile (the last tile of a row or column may be smaller or up to `align` - 1 larger). */
  tileSize: number;
  /** Halo on each side of a tile's interior, in pixels. */
  halo: number;
  /** The halo that makes the tiled loss and gradient equal to the whole image's (see {@link exactHalo}). */
  exactHalo: number;
  /**
   * The halo of the forward-only passes (the Grams' pass 1, the targets): the interior's activations are exact with
   * half the exact halo (see {@link forwardHalo}), so those crops are smaller. At most `halo`.
   */
  forwardHalo: number;
  /** Tile borders and halo are multiples of this (the deepest stride the pass reaches). */
  align: number;
  rows: number;
  cols: number;
  tiles: Tile[];
  /** The largest crop side, for memory estimates. */
  maxCrop: { height: number; width: number };
}

/**
 * How many positions next to a crop's edge differ from the whole image's at point `p` (the 3x3 convs see zero
 * padding there instead of the neighbours): each conv adds one, each aligned 2x2 pool halves (rounding up).
 * The same recursion gives how far, in positions at `p`, an input pixel's influence reaches past its tile.
 */
export function edgeReach(p: NetworkPoint, network: NetworkArchitecture = VGG19): number {
  let e = 0;
  for (const q of network.points.slice(0, p.index + 1)) {
    if (q.kind === 'conv') e += 1;
    else if (q.kind === 'pool') e = Math.ceil(e / 2);
  }
  return e;
}

/**
 * The smallest halo (pixels, a multiple of `align`) that makes tiled evaluation exact for losses at `points`: every
 * position a tile's interior pixels influence at a loss point (up to `edgeReach` positions past the interior) must
 * itself be computed as on the whole image (at least `edgeReach` positions from the crop's edge), so the halo is
 * 2 · stride · edgeReach at the worst point. For the default layers (deepest relu5_1, stride 16, reach 5) it is
 * 160 px; with relu4_2 as the deepest, 80 px.
 */
export function exactHalo(points: readonly NetworkPoint[], align: number, network: NetworkArchitecture = VGG19): number {
  const need = Math.max(0, ...points.map((p) => 2 * p.stride * edgeReach(p, network)));
  return roundUp(need, align);
}

/**
 * The smallest halo (a multiple of `align`) that makes a tile's *own* activations at `points` equal to the whole
 * image's: every interior position must be at least `edgeReach` positions from the crop's edge, so stride ·
 * edgeReach at the worst point, half of {@link exactHalo} (80 px for the default layers). Enough for a forward pass
 * that only sums over the interior (Grams, content differences); the gradient needs the exact halo.
 */
export function forwardHalo(points: readonly NetworkPoint[], align: number, network: NetworkArchitecture = VGG19): number {
  return roundUp(Math.max(0, ...points.map((p) => p.stride * edgeReach(p, network))), align);
}

/** The tile with its crop cut to `halo` on each side (same interior): for the forward-only passes. */
export function withHalo(t: Tile, halo: number, layout: Pick<TileLayout, 'height' | 'width'>): Tile {
  const span = (s: Span, length: number): Span => ({ ...s, cropStart: Math.max(0, s.start - halo), cropEnd: Math.min(length, s.end + halo) });
  return { ...t, y: span(t.y, layout.height), x: span(t.x, layout.width) };
}

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Tile borders along one axis of `length` pixels: interiors of `size` (a multiple of `align`); the last tile takes the rest. */
function spans(length: number, size: number, halo: number): Span[] {
  const out: Span[] = [];
  for (let start = 0; start < length; start += size) {
    // A short remainder joins the tile before it (it would cost a whole halo for little).
    let end = Math.min(length, start + size);
    if (length - end > 0 && length - end < size / TILE_REMAINDER_DIVISOR) end = length;
    out.push({ start, end, cropStart: Math.max(0, start - halo), cropEnd: Math.min(length, end + halo), last: end === length });
    if (end === length) break;
  }
  return out;
}

export interface TileLayoutSpec {
  height: number;
  width: number;
  /** Points with a loss (their strides and reach decide the alignment and the exact halo). */
  lossPoints: readonly NetworkPoint[];
  /** Requested interior side; rounded up to a multiple of the alignment. */
  tileSize: number;
  /** Halo in pixels (rounded up to a multiple of the alignment), or `'exact'` (default). */
  halo?: number | 'exact';
  /** The network the points are in (its convs and pools decide the reach). Default VGG-19. */
  network?: NetworkArchitecture;
}

/** Cuts a `height`x`width` image into tiles for losses at `lossPoints`. */
export function tileLayout(spec: TileLayoutSpec): TileLayout {
  const { height, width, lossPoints } = spec;
  if (lossPoints.length === 0) throw new StyleTransferError('INVALID_OPTION', 'Tiling needs at least one loss layer.');
  const align = Math.max(...lossPoints.map((p) => p.stride));
  const exact = exactHalo(lossPoints, align, spec.network);
  const halo = spec.halo === undefined || spec.halo === 'exact' ? exact : roundUp(spec.halo, align);
  const tileSize = roundUp(Math.max(spec.tileSize, align), align);
  const ys = spans(height, tileSize, halo);
  const xs = spans(width, tileSize, halo);
  const tiles: Tile[] = [];
  ys.forEach((y, row) => xs.forEach((x, col) => tiles.push({ index: tiles.length, row, col, y, x })));
  const maxCrop = {
    height: Math.max(...ys.map((s) => s.cropEnd - s.cropStart)),
    width: Math.max(...xs.map((s) => s.cropEnd - s.cropStart)),
  };
  const fwd = Math.min(halo, forwardHalo(lossPoints, align, spec.network));
  return { height, width, tileSize, halo, exactHalo: exact, forwardHalo: fwd, align, rows: ys.length, cols: xs.length, tiles, maxCrop };
}

/**
 * A tile's interior at a point of stride `s`, in the crop's own positions: rows [top, top + rows), columns
 * [left, left + cols), for a crop whose activation is `cropRows`x`cropCols` there. The last tile of a row or column
 * runs to the crop's end (the pools round the whole image's size down the same way).
 */
export function interiorAt(tile: Tile, s: number, cropRows: number, cropCols: number): { top: number; left: number; rows: number; cols: number } {
  const axis = (span: Span, n: number) => {
    const first = (span.start - span.cropStart) / s;
    const end = span.last ? n : (span.end - span.cropStart) / s;
    return [first, Math.max(0, end - first)] as const;
  };
  const [top, rows] = axis(tile.y, cropRows);
  const [left, cols] = axis(tile.x, cropCols);
  return { top, left, rows, cols };
}

/** How a scale is cut into tiles, as runs report it (`StepInfo.tiling`, `StylizeResult.scales`). */
export interface TilingInfo {
  /** Number of tiles, and their interior side and halo in pixels. */
  tiles: number;
  tileSize: number;
  halo: number;
  /** True when the halo covers the network's reach, so the loss and gradient equal the whole image's. */
  exact: boolean;
}

export function describeTiling(l: TileLayout): TilingInfo {
  return { tiles: l.tiles.length, tileSize: l.tileSize, halo: l.halo, exact: l.halo >= l.exactHalo };
}

/** Where a tiled evaluation is, for progress: the tile (0-based) of how many, and which of the two passes. */
export interface TileProgress {
  tile: number;
  tiles: number;
  /** `'grams'`: the forward pass that sums the Grams; `'gradient'`: the forward and backward pass. */
  pass: 'grams' | 'gradient';
}
