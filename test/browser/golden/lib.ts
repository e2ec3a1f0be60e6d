/**
 * The library's building blocks the golden page uses, imported from the sources in one place (esbuild bundles
 * them with the page), so a move of a source file means one import to fix here.
 */
export { loadVgg19, type Vgg19 } from '../../../src/core/model.js';
export { extractFeatures } from '../../../src/core/features.js';
export { gramMatrix } from '../../../src/core/gram.js';
export { contentLoss, styleLoss, tvLoss } from '../../../src/core/losses.js';
export { lossPass, planPass, type PointLoss } from '../../../src/core/network.js';
export { NETWORK_POINTS, resolveLayer } from '../../../src/core/layers.js';
export { activeKernels } from '../../../src/kernels/index.js';
export { readyBackend } from '../../../src/adapters/backend.js';
export { stylize } from '../../../src/stylize/session.js';
export { floatPrecision } from '../../../src/kernels/precision.js';
