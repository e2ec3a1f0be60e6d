/**
 * The run plan's data: what it is asked (a {@link PlanRequest}), what it knows of the backend (its
 * {@link BackendFacts}, read once by the caller), and what it answers (a {@link RunPlan} of {@link ScalePlan}s).
 */
import type { NetworkPoint } from '../core/layers.js';
import type { PassPlan } from '../core/network.js';
import type { ConvUse, DeviceLimits } from '../kernels/index.js';
import type { ResolvedOptions } from '../stylize/options.js';
import type { TileLayout } from '../stylize/tiling/layout.js';
import type { MemoryEstimate } from './memory.js';

/** What a run is asked to do, as far as planning goes. */
export interface PlanRequest {
  o: ResolvedOptions;
  /** The content image's size as given. */
  content: { height: number; width: number };
  /** Each style image's size as given. */
  styles: readonly { height: number; width: number }[];
  tapPoints: readonly NetworkPoint[];
  /**
   * Bytes the run will hold that are not allocated yet, counted against the budget like those in use (the input
   * images, when planning before they are read: `Stylizer.plan`). Default 0.
   */
  pendingBytes?: number;
}

/** What the plan knows of the backend: plain numbers and pure functions, gathered once by the caller. */
export interface BackendFacts {
  /** Backend name, for messages. */
  backend: string;
  /** The backend's hard memory cap (see `Kernels.memoryLimit`); undefined: no check. */
  memoryLimit: number | undefined;
  /** Bytes the backend's prepared convs (WASM: Winograd's weights) hold for a pass (`Kernels.preparedConvBytes`); default none. */
  convBytes?: (use: ConvUse) => number;
  /** A GPU device's limits (see `Kernels.deviceLimits`); undefined: no per-allocation check. */
  deviceLimits?: DeviceLimits;
  /** Bytes the backend holds now (`tf.memory().numBytes`): the budget is what is left of the cap. */
  inUseBytes: number;
  /** The memory this process may use (`Platform.hostMemory`), for optimiser state in JS memory; undefined: unknown. */
  hostMemory: number | undefined;
}

/** How a step is evaluated, for its headroom: whole, tiled, or tiled with the optimiser's state in JS memory. */
export type StepKind = 'whole' | 'tiled' | 'host-state';

/** Where a piece of optimiser state lives. */
export type StateHome = 'device' | 'host';

/** One scale of a run, as planned before any work. */
export interface ScalePlan {
  /** Longest side of the output at this scale. */
  size: number;
  height: number;
  width: number;
  /** Longest side the style images are resized to, and each style image's size at this scale. */
  styleSize: number;
  styleShapes: readonly { height: number; width: number }[];
  /** L-BFGS correction pairs (the requested history, or shortened to fit the backend's memory; 0 with Adam). */
  historySize: number;
  /** Where the L-BFGS history lives: on the backend, or in JS memory when it does not fit there (tiled scales). */
  historyOn: StateHome;
  /**
   * Where the optimiser's working vectors live (image, gradient, direction, pyramid): on the backend, or — for a
   * tiled L-BFGS scale where even they do not fit next to the tiles' pass — in JS memory with the history.
   */
  stateOn: StateHome;
  /** Levels of the pyramid parametrisation (0: the optimiser works on plain pixels). */
  pyramidLevels: number;
  /** Estimated peak bytes of one step at this scale. */
  memory: MemoryEstimate;
  /** When the scale is evaluated a tile at a time (`tile` option, or the whole image does not fit): the tiles. */
  tiling?: TileLayout;
  /**
   * Whether the run prepares the backend's conv state for this scale (WASM: Winograd's transformed weights). False
   * where those weights alone would tip the whole image into tiles (each evaluation about twice the work): the
   * scale then runs whole on plain `tf.conv2d`.
   */
  prepareConvs: boolean;
}

/**
 * Everything about a run that is known before it starts, computed once (`planFromFacts`) and read by the loop, the
 * target computations and the memory check alike.
 */
export interface RunPlan {
  scales: ScalePlan[];
  /** The loss pass: points computed and activations the backward pass keeps. */
  pass: PassPlan;
  /** The loss pass extended to the tapped points, for the evaluations taps observe. */
  tappedPass: PassPlan;
  /**
   * Whether taps observe the objective's own pass (true), or — where holding their activations until the step is
   * known would not fit the backend's memory — a forward pass of the step's image.
   */
  tapsInPass: boolean;
  /** Notes for the result (e.g. a shortened L-BFGS history). */
  warnings: string[];
  /** The bytes the run may hold and where that number comes from; undefined when nothing bounds it (CPU, tfjs-node). */
  budget?: { bytes: number; note: string };
}
