/**
 * Every tuning constant of the run plan, in one place: what each is for, why it has its value and where that was
 * measured. The planning functions in this folder read them from here; nothing else in `src/plan/` hard-codes a
 * tuned number. (Two tables tuned elsewhere stay with what they tune: `WINOGRAD_TABLE` in
 * `kernels/winograd-plan.ts`, which picks a conv kernel by speed, and the default GPU `memoryBudget` in
 * `src/defaults.ts`, an option default.)
 */

// ---- Headroom: how much more than the estimate a step may really take ----

/**
 * A whole-image step. WASM heap high-water over estimate: 1.14 at 512 px, 0.98 at 1024x768 (2 Adam iterations,
 * 2026-12-02). It was 1.3 for both, and 1024x1024 with 5 L-BFGS pairs then missed the heap by 0.5%: a 2048 px run's
 * middle scale was tiled, 65 s per evaluation instead of ~29 s.
 */
export const MEMORY_SLACK = 1.2;

/**
 * A tiled step, whose estimate is rougher (the image-sized tensors of an evaluation are counted, not traced): at
 * 2048x1536 in 768 px tiles the WASM heap passed its 4 GiB cap where the estimate, as counted then, was 3.3 GiB
 * (docs/performance.md).
 */
export const TILED_MEMORY_SLACK = 1.3;

/**
 * A tiled step with the optimiser's state in JS memory, where the device holds little besides the crop's pass: at
 * 4096x3072 in 35 tiles of 640 px (crops of 960 px) the WASM heap ran out in the first evaluation's pass 2, at the
 * third 960 px crop, for an estimate of 2.80 GiB (so at least 1.43x: the allocator's fragmentation and XNNPACK's
 * per-operator buffers, which grow with the crop, are not counted). With 1.6, 4096 and 3072 px take 512 px tiles
 * (crops of 832 px, as the 2048 px run's).
 */
export const HOST_STATE_MEMORY_SLACK = 1.6;

// ---- The step's memory estimate (plan/memory.ts) ----

/**
 * Activation-sized tensors alive at once in the backward sweep: dy, the new gradient, a temporary (the ReLU mask or a
 * loss gradient) and the backend's conv workspace, each up to the largest activation. WASM at 512 px (Adam): heap
 * grew 826 MiB for an estimate of 727 MiB counted this way (`estimateMemory`'s doc).
 */
export const BACKWARD_ACTIVATIONS = 4;

/** Image-sized tensors of the backward sweep: the input (BGR) and its gradient. */
export const BACKWARD_IMAGES = 2;

/**
 * Activation-sized temporaries a sorting style term (`'histogram'`, `'sliced-wasserstein'`) holds at once while it
 * is evaluated in the backward sweep, beyond a Gram term's (which {@link BACKWARD_ACTIVATIONS} covers): the sorted
 * rows, `topk`'s values and int32 indices, the target resampled to the image's positions, the difference, the
 * unsorted gradient (and the projections both ways). Counted at the largest activation a sorting term reads. Peak
 * bytes over a Gram term's (`tf.profile`, WASM, 24x24x64, test/plan/sort-memory.test.ts): histogram 3.8 activations
 * (5.8 with the style's positions resampled), sliced Wasserstein 7.0 (8.0).
 */
export const SORT_TEMPORARIES: Readonly<Record<'histogram' | 'sliced-wasserstein', number>> = { histogram: 6, 'sliced-wasserstein': 8 };

/**
 * Image-sized vectors L-BFGS holds besides its pairs: the image, gradient, direction, previous gradient, the line
 * search's point and its gradient (counted from optim/lbfgs.ts, not measured alone; part of the 512 px check above).
 */
export const LBFGS_WORKING_VECTORS = 6;

/** Image-sized vectors Adam holds: the image, gradient, two moments and the update (counted from optim/adam.ts). */
export const ADAM_VECTORS = 5;

/**
 * Image-sized float32 RGB tensors alive during a tiled evaluation besides the optimiser's vectors: the image, its
 * gradient's tiles and their assembly, the TV loss's temporaries, the pyramid's decode. Measured at 2048x1536 on
 * WASM (`scratch` run of 2026-12-01, 768 px tiles): 740–790 MB of tensors between evaluations against 386 MB counted
 * by the optimiser and target terms, and the heap at its 4 GiB cap in the second evaluation (10 were counted then; a
 * 2048 px run died when its heap overflowed).
 */
export const IMAGE_SIZED_TENSORS = 20;

/**
 * The same when the optimiser's state is in JS memory (`stateOn: 'host'`): the device keeps only the current image
 * (for progress and the result) and the content image in grey and in colour.
 */
export const IMAGE_SIZED_TENSORS_HOST_STATE = 3;

/**
 * Copies of the tapped activations a tap iteration holds: the best evaluation's wait for the step while the next
 * pass makes its own.
 */
export const TAP_ACTIVATION_COPIES = 2;

// ---- L-BFGS history ----

/**
 * The fewest L-BFGS pairs a whole image runs with: the plan shortens longer histories down to this before it tiles a
 * scale (`'auto'`) or refuses the size. A tiled evaluation costs a second forward pass and its halos (2.2x a whole
 * evaluation at 1024x1024 in 4 tiles of 768 px on WASM: 65 s, where 1024x768 whole took 21.4 s), far more than a
 * shorter history loses.
 */
export const MIN_HISTORY_UNTILED = 3;

/** A tiled scale keeps its L-BFGS history on the device when this many pairs fit there next to the tiles' pass. */
export const MIN_HISTORY_ON_DEVICE = 10;

/** The longest history the shortening search starts from (a request above it is cut here first; 50 is the default). */
export const MAX_HISTORY_TRIED = 50;

/** Each shortening step keeps this share of the pairs: 8 tries from 50 to 3 (50, 35, 24, 16, 11, 7, 4, 3); chosen, not measured. */
export const HISTORY_SHRINK = 0.7;

// ---- Optimiser state in JS memory ----

/** The most JS memory an L-BFGS history kept on the host may take (2 GiB): at 2048x2048 with the pyramid, 15 pairs. */
export const HOST_HISTORY_BYTES = 2 * 2 ** 30;

/**
 * Optimiser-sized vectors an L-BFGS with its state in JS memory holds besides its pairs: the image, its gradient,
 * the direction, the previous gradient, the line search's point and the gradients it keeps, the pyramid's decoded
 * image and adjoint.
 */
export const HOST_STATE_VECTORS = 10;

/** The share of the host's memory (`Platform.hostMemory`) that optimiser state in JS memory may take. */
export const HOST_MEMORY_SHARE = 0.5;

/**
 * A tiled scale keeps the optimiser's state on the host for larger tiles when they need this share of the pixels or
 * less: the host state costs an upload and a read-back per tile and the vector algebra in JS.
 */
export const HOST_STATE_MIN_SAVING = 0.75;

// ---- Tiles and sizes ----

/** Interior sides `tile: 'auto'` tries, largest first (larger tiles waste less on halos). */
export const AUTO_TILE_SIZES: readonly number[] = [2048, 1536, 1024, 768, 640, 512, 384, 256, 192, 128, 64];

/** A remainder shorter than a tile's 1/this joins the tile before it (it would cost a whole halo for little); chosen, not measured. */
export const TILE_REMAINDER_DIVISOR = 5;

/** The smallest side a scale's output or a style image is resized to (below it no loss layer is reached anyway). */
export const MIN_SIDE = 16;
