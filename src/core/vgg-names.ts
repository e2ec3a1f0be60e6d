/**
 * VGG-19's layer names as types (VGG-16's are a subset), for autocompletion. Each conv layer `convN_M` is followed
 * by its ReLU `reluN_M`; each block ends in a 2x2 pool `poolN`. Another network's names are plain strings.
 */
export type ConvName = `conv${1 | 2 | 3 | 4 | 5}_${1 | 2 | 3 | 4}`;
export type ReluName = `relu${1 | 2 | 3 | 4 | 5}_${1 | 2 | 3 | 4}`;
export type PoolName = `pool${1 | 2 | 3 | 4 | 5}`;
/** Any tappable point of VGG-19. */
export type LayerName = ConvName | ReluName | PoolName;
