/** The CLI's six commands (stylize, sweep, features, reconstruct, study, video): usage, flags, notes and examples, which help
 * text and parsing both read. The shared flags live in `flags.ts`. */
import { STYLIZE_DEFAULTS as D, defaultText as t } from '../defaults.js';
import { rangeText } from '../options/check.js';
import { STYLIZE_RANGES as R } from '../options/table.js';
import { MULTI_PASS_LIMITS as MP } from '../video/multi-pass-limits.js';
import type { CommandSpec } from './args.js';
import { QUEUE_FLAGS, STYLIZE_FLAGS, flagOf } from './flags.js';
import { SEGMENTATION_FLAGS } from './region-flags.js';

export { COMMON_FLAGS, STYLIZE_FLAGS } from './flags.js';

export const BIN = 'neural-style-tfjs';

/** Where the full documentation is (package.json's `homepage`; a test keeps them equal). */
export const DOCS_URL = 'https://github.com/neural-style-tfjs/neural-style-tfjs#readme';

export const STYLIZE: CommandSpec = {
  name: 'stylize',
  short: 'paint a content image in the style of one or more style images',
  usage: `${BIN} stylize <content> <style…> -o <out.png|.jpg> [options]`,
  summary: 'Paints <content> in the style of one or more <style> images (PNG or JPEG) with Gatys et al.\'s method; with --region, each region of the picture in its own style.',
  positionals: { min: 1, max: 64 },
  flags: [
    { name: 'output', short: 'o', type: 'string', arg: 'FILE', help: 'output image (.png, .jpg or .jpeg) — required' },
    { ...flagOf('iterations'), short: 'i', type: 'string', arg: 'N' },
    ...STYLIZE_FLAGS,
    ...SEGMENTATION_FLAGS,
    { name: 'save-every', field: 'previewEvery', type: 'int', arg: 'N', min: 1, help: 'also write the image every N iterations as <out>-0010.png, …' },
    { name: 'quality', type: 'int', arg: '1-100', min: 1, max: 100, help: 'JPEG quality', default: '92' },
    ...QUEUE_FLAGS,
  ],
  notes: [
    'Regions (docs/regions.md): --region MASK:STYLE paints where MASK is white with STYLE (a file; several, comma-',
    'separated, are blended; STYLE#SMASK takes only the white part of SMASK over that style image; @W weights the',
    'region). --region rest:STYLE paints where no mask does; without it, only the content loss applies there.',
    'With --queue, <content> may be a folder (every PNG/JPEG in it, one job each) and -o then a folder.',
    'Layer names: convN_M (before ReLU), reluN_M (after), poolN; N in 1–5, M in 1–2 (blocks 1–2) or 1–4 (blocks 3–5).',
    'Keras names (block3_conv1 = relu3_1) are accepted too. Errors exit with code 2 and one line on stderr, before',
    'any work. An output that is one of the inputs is refused; other existing outputs are replaced, atomically',
    '(temp file + rename), only when the run succeeds. Ctrl-C exits with 130 and writes no output.',
  ],
  examples: [
    `${BIN} stylize photo.jpg starry_night.jpg -o out.png --size 256 --iterations 100`,
    `${BIN} stylize photo.jpg scream.jpg -o out.jpg --style-layers relu1_1:1,relu2_1:0.5 --preserve-colors`,
    `${BIN} stylize photo.jpg a.jpg b.jpg --style-blend-weights 3,1 -o blend.png --save-every 10 --json`,
    `${BIN} stylize photo.jpg --region sky.png:starry_night.jpg --region rest:scream.jpg -o regions.png`,
    `${BIN} stylize photo.jpg starry_night.jpg --content-map photo_map.png --style-map starry_map.png -o seg.png`,
  ],
};

export const SWEEP: CommandSpec = {
  name: 'sweep',
  short: 'a grid of runs varying one or two settings -> labelled contact sheet + JSON record',
  usage: `${BIN} sweep <content> <style…> --vary NAME=VALUES [--vary …] [--iterations N,N] -o <sheet.png> [options]`,
  summary: 'Runs a grid of stylisations varying one or two settings and writes a labelled contact sheet plus a JSON record that reproduces it.',
  positionals: { min: 0, max: 64 },
  flags: [
    { name: 'output', short: 'o', type: 'string', arg: 'FILE', help: 'contact sheet (.png or .jpg) — required' },
    { name: 'vary', type: 'string', arg: 'NAME=VALUES', repeat: true, help: 'a setting to vary (see below); give one or two' },
    { name: 'iterations', short: 'i', field: 'iterations', type: 'string', arg: 'N[,N…]', help: 'iterations; a list is an axis (columns), taken from one run per row', default: t(D.iterations) },
    { name: 'record', type: 'string', arg: 'FILE', help: 'where to write the JSON record', default: '<output>.json' },
    { name: 'replay', type: 'string', arg: 'FILE', help: 're-run the sweep a JSON record describes (images from the record unless given)' },
    { name: 'preset-kind', type: 'string', arg: 'conv|relu', help: 'layers the single/cumulative/all presets use', default: 'conv' },
    { name: 'tile-size', type: 'int', arg: 'N', min: 8, max: 4096, help: 'scale tiles to N pixels on their longest side', default: 'the output size' },
    { name: 'font-scale', type: 'int', arg: 'N', min: 1, max: 8, help: 'label text size multiplier', default: '1 (2 for tiles ≥160 px)' },
    { name: 'title', type: 'string', arg: 'TEXT', help: 'title line of the sheet', default: 'what varies, size, seed' },
    { name: 'captions', type: 'boolean', help: 'loss and time under each tile (--no-captions to hide)', default: 'on' },
    ...STYLIZE_FLAGS,
    ...QUEUE_FLAGS,
  ],
  notes: [
    'Settings to vary (--vary NAME=VALUES):',
    '  style-layers=single|cumulative|all   conv1_1…conv5_1 alone; conv1_1, conv1_1+conv2_1, … conv1_1..conv5_1; all 16 conv layers',
    '  style-layers=conv1_1,conv3_1         each listed layer alone;  "conv1_1;conv1_1,conv2_1" = sets separated by ";"',
    '  content-layers=conv2_2,conv4_2       each listed layer alone (";" separates sets)',
    '  weight-ratio=1e-3,1e-2,0.1           content/style weight ratio alpha/beta (style weight kept)',
    '  iterations=50,200                    same as --iterations 50,200',
    '  pooling=max,avg      init=content,noise',
    '  style-statistic=gram,mean-std,histogram   style statistics (docs/style-statistics.md)',
    'The first --vary goes down the rows, the second across; iterations always go across.',
  ],
  examples: [
    `${BIN} sweep photo.jpg starry_night.jpg --vary style-layers=single --iterations 100,500 --size 128 -o sheet.png`,
    `${BIN} sweep photo.jpg scream.jpg --vary weight-ratio=1e-4,1e-3,1e-2 --vary content-layers=conv2_2,conv4_2 -o ratio.png`,
    `${BIN} sweep --replay sheet.json -o again.png`,
  ],
};

export const FEATURES: CommandSpec = {
  name: 'features',
  short: "a layer's feature maps as a tile grid, and its Gram matrix as a heat map",
  usage: `${BIN} features <image> --layer NAME -o <maps.png> [--gram <gram.png>] [options]`,
  summary: "Renders what one VGG-19 layer sees: a grid of the image's feature maps (each tile normalised to its own range) and, with --gram, the layer's Gram matrix as a heat map.",
  positionals: { min: 1, max: 1 },
  flags: [
    { name: 'layer', short: 'l', type: 'string', arg: 'NAME', help: 'a point of the --network (VGG-19: conv1_1…conv5_4, relu1_1…relu5_4, pool1…pool5) — required' },
    { name: 'output', short: 'o', type: 'string', arg: 'FILE', help: 'feature-map grid (.png or .jpg)' },
    { name: 'gram', type: 'string', arg: 'FILE', help: 'Gram-matrix heat map (.png or .jpg)' },
    { name: 'size', field: 'size', type: 'int', arg: 'N', min: R.size.min, max: R.size.max, help: `resize the image to N pixels on its longest side first (${rangeText(R.size)})`, default: t(D.size) },
    { name: 'channels', type: 'string', arg: 'N|I,I,…', help: 'how many channels (the most active first), or which', default: '64' },
    { name: 'sort', type: 'string', arg: 'energy|index', help: 'order of the channels shown', default: 'energy' },
    { name: 'columns', type: 'int', arg: 'N', min: 1, help: 'tiles per row', default: '√channels' },
    { name: 'scale', type: 'int', arg: 'N', min: 1, max: 64, help: 'enlarge each tile N times', default: 'so tiles are ≥ 32 px' },
    { name: 'colormap', type: 'string', arg: 'gray|viridis|magma|inferno', help: 'feature-map colours', default: 'gray' },
    { name: 'gram-colormap', type: 'string', arg: 'NAME', help: 'Gram colours: viridis, magma, inferno, gray, coolwarm', default: 'viridis, or coolwarm when entries are negative' },
    { name: 'gram-sort', type: 'string', arg: 'index|energy', help: 'Gram channel order (energy: strongest first)', default: 'index' },
    { name: 'pooling', type: 'string', arg: 'max|avg', help: 'pooling between blocks', default: 'max' },
    { name: 'label', type: 'boolean', help: 'a header line naming the layer and channels (--no-label to hide)', default: 'on' },
  ],
  examples: [`${BIN} features photo.jpg --layer conv3_1 -o maps.png --gram gram.png`, `${BIN} features photo.jpg --layer relu5_1 --channels 16 --columns 8 -o deep.png`],
};

export const RECONSTRUCT: CommandSpec = {
  name: 'reconstruct',
  short: "an image rebuilt from noise using one layer's content or style representation",
  usage: `${BIN} reconstruct <image> --layer NAME --kind content|style -o <rec.png> [options]`,
  summary: "Reconstructs <image> from white noise using only one layer's content representation (--kind content) or only a layer set's style representation (--kind style), as in Gatys et al. 2016, Fig. 1.",
  positionals: { min: 1, max: 1 },
  flags: [
    { name: 'output', short: 'o', type: 'string', arg: 'FILE', help: 'output image (.png or .jpg) — required' },
    { name: 'layer', field: 'layer', short: 'l', type: 'string', arg: 'NAME', help: 'one layer (give --layer or --layers)' },
    { name: 'layers', field: 'layers', type: 'string', arg: 'LAYERS', help: 'a layer set, e.g. conv1_1,conv2_1,conv3_1' },
    { name: 'kind', field: 'kind', type: 'string', arg: 'content|style', help: 'which representation to match', default: 'content' },
    { name: 'iterations', field: 'iterations', short: 'i', type: 'int', arg: 'N', help: 'iterations', default: '200' },
    { name: 'size', field: 'size', type: 'int', arg: 'N', help: 'longest side in pixels (16–4096)', default: '128' },
    { name: 'seed', field: 'seed', type: 'int', arg: 'N', help: 'seed of the white-noise start', default: '0' },
    { name: 'weight', field: 'weight', type: 'number', arg: 'X', help: 'weight of the loss term', default: '1 (content), 1000 (style)' },
    { name: 'tv-weight', field: 'tvWeight', type: 'number', arg: 'X', help: 'total-variation weight', default: '0' },
    { name: 'optimizer', field: 'optimizer', type: 'string', arg: 'lbfgs|adam', help: 'optimiser', default: t(D.optimizer) },
    { name: 'learning-rate', field: 'learningRate', type: 'number', arg: 'X', help: 'step multiplier / size' },
    { name: 'pooling', field: 'pooling', type: 'string', arg: 'max|avg', help: 'pooling between blocks', default: 'max' },
    { name: 'loss-normalization', field: 'lossNormalization', type: 'string', arg: 'mean|paper', help: 'loss constants', default: t(D.lossNormalization) },
    { name: 'save-every', field: 'previewEvery', type: 'int', arg: 'N', min: 1, help: 'also write the image every N iterations as <out>-0010.png, …' },
    { name: 'quality', type: 'int', arg: '1-100', min: 1, max: 100, help: 'JPEG quality', default: '92' },
  ],
  examples: [`${BIN} reconstruct photo.jpg --layer conv4_2 --kind content -o rec.png`, `${BIN} reconstruct painting.jpg --layers conv1_1,conv2_1,conv3_1 --kind style -o tex.png`],
};

/**
 * Stylize flags a study does not pass to its runs: the study's own settings (size, seed, the style layers it
 * varies), and what a study of one style image per pair at one scale cannot use (blend weights, scales, tiles,
 * regions).
 * Every other stylize flag, a new one included, is a study flag too.
 */
const NOT_STUDY_FLAGS = ['size', 'seed', 'style-layers', 'style-blend-weights', 'scales', 'tile', 'tile-halo', 'region', 'content-weight-map', 'propagation', 'region-erode', 'region-threshold'];

export const STUDY: CommandSpec = {
  name: 'study',
  short: 'the layer study, measured: one HTML report with contact sheets, charts and a JSON record',
  usage: `${BIN} study <content> <style> [--pairs C:S,C:S] [--layers LAYERS] [--iterations A,B] [--out report.html] [options]`,
  summary:
    'Runs the layer study on each content/style pair — style from each conv layer alone and from the cumulative sets conv1_1..convN_1 at two iteration counts, content reconstructed from one layer per block — measures every result (texture scale, Gram distance at all 16 layers, PSNR/SSIM, feature distance; receptive fields) and writes one self-contained HTML report plus its JSON record. Finished runs are kept in a state file, so an interrupted study resumes.',
  positionals: { min: 0, max: 2 },
  flags: [
    { name: 'output', short: 'o', type: 'string', arg: 'FILE', help: 'the HTML report', default: 'study.html' },
    { name: 'out', type: 'string', arg: 'FILE', help: 'same as --output' },
    { name: 'pairs', type: 'string', arg: 'C:S,C:S', help: 'more content:style pairs (after the positional pair, if any)' },
    { name: 'layers', type: 'string', arg: 'LAYERS', help: 'layers that each give the style alone', default: 'every conv layer of the --network (VGG-19: 16)' },
    { name: 'reconstruct-layers', type: 'string', arg: 'LAYERS|none', help: 'layers the content is reconstructed from', default: 'each block\'s second conv (VGG: conv1_2,conv2_2,conv3_2,conv4_2,conv5_2)' },
    { name: 'cumulative', type: 'boolean', help: 'also the sets conv1_1, conv1_1+conv2_1, … (--no-cumulative to skip)', default: 'on' },
    { name: 'iterations', short: 'i', type: 'string', arg: 'A,B', help: 'iteration counts (snapshots of one run each)', default: '20,80' },
    { name: 'size', field: 'size', type: 'int', arg: 'N', min: 16, max: 4096, help: 'longest side of every result in pixels', default: '128' },
    { name: 'seed', field: 'seed', type: 'int', arg: 'N', help: 'seed of every run', default: '0' },
    { name: 'record', type: 'string', arg: 'FILE', help: 'where to write the JSON record', default: '<output>.json' },
    { name: 'state', type: 'string', arg: 'FILE', help: 'finished runs, kept so a rerun skips them', default: '<output>.state.json' },
    { name: 'fresh', type: 'boolean', help: 'ignore (and replace) the state file' },
    { name: 'replay', type: 'string', arg: 'FILE', help: 're-run the study a JSON record describes (images from the record unless given)' },
    { name: 'statistics', type: 'string', arg: 'NAMES|all', help: 'instead of the layer experiments, compare these style statistics per layer: each of --layers (default conv1_1,…,conv5_1) alone with each statistic, one --iterations count (default 100)' },
    { name: 'statistics-task', type: 'string', arg: 'texture|stylize', help: 'with --statistics: reconstruct the style texture from noise (style term only), or stylise the content', default: 'texture' },
    ...STYLIZE_FLAGS.filter((fl) => !NOT_STUDY_FLAGS.includes(fl.name)),
    ...QUEUE_FLAGS,
  ],
  notes: [
    'Runs: (layers + 5 cumulative + reconstruct-layers) per pair, each for the largest iteration count. At 128 px on',
    'WASM a run of 80 iterations takes minutes: start small (--size 64 --iterations 10,40 --layers conv1_1,conv3_1,conv5_1).',
    'Ctrl-C keeps every finished run in the state file; the same command again picks up where it stopped.',
  ],
  examples: [
    `${BIN} study photo.jpg starry_night.jpg --size 96 --iterations 20,80 -o study.html`,
    `${BIN} study --pairs a.jpg:starry.jpg,b.jpg:scream.jpg --layers conv1_1,conv2_1,conv3_1,conv4_1,conv5_1 -o two.html`,
    `${BIN} study --replay study.json -o again.html`,
    `${BIN} study photo.jpg starry_night.jpg --statistics gram,mean-std,histogram --layers conv1_1,conv3_1,conv5_1 --size 96 --iterations 100 -o stats.html`,
  ],
};

/** Stylize flags the video command does not take: it sets the start image of each frame itself, and regions are
 * masks over one picture, not a clip (yet). */
const NOT_VIDEO_FLAGS = ['init', 'seed', 'region', 'content-weight-map', 'propagation', 'region-erode', 'region-threshold'];

export const VIDEO: CommandSpec = {
  name: 'video',
  short: 'a clip stylised frame by frame with temporal consistency (Ruder et al.)',
  usage: `${BIN} video <in.mp4|frames/> <style…> -o <out.mp4|out/> [options]`,
  summary:
    "Stylises a video file (through ffmpeg) or a folder of numbered PNG/JPEG frames, each frame starting from the previous stylised frame warped by the optical flow, with Ruder et al.'s temporal loss where the flow is reliable. Each finished frame is written at once, so an interrupted run resumes.",
  positionals: { min: 2, max: 64 },
  flags: [
    { name: 'output', short: 'o', type: 'string', arg: 'FILE|DIR', help: 'a video file (.mp4 .webm .gif …, through ffmpeg) or a folder of PNG frames — required' },
    { name: 'iterations', field: 'iterations', short: 'i', type: 'int', arg: 'N', min: R.iterations.min, max: R.iterations.max, help: 'iterations of every frame after the first', default: t(Math.round(D.iterations / 2)) },
    { name: 'first-frame-iterations', field: 'firstFrameIterations', type: 'int', arg: 'N', min: R.iterations.min, max: R.iterations.max, help: 'iterations of the first frame (of every frame with --consistency independent)', default: '2 · --iterations' },
    { name: 'consistency', field: 'consistency', type: 'string', arg: 'temporal|warped-start|independent', help: 'temporal loss + warped start, warped start only, or neither', default: 'temporal' },
    { name: 'long-term', field: 'longTerm', type: 'string', arg: 'J,J,…', help: 'the earlier frames i−j the temporal loss looks back to', default: '1,2,4' },
    flagOf('temporalWeight'),
    { name: 'flow', type: 'string', arg: 'DIR', help: "Middlebury .flo files to use instead of the built-in flow (forward_1_2.flo, backward_2_1.flo, …)" },
    { name: 'passes', field: 'passes', type: 'int', arg: 'N', min: MP.passes.min, max: MP.passes.max, help: "Ruder et al.'s multi-pass mode: N passes over the clip, alternately forward and backward (frames written after the last; no resuming)" },
    { name: 'pass-iterations', type: 'int', arg: 'N', min: MP.iterations.min, max: MP.iterations.max, help: 'with --passes: iterations of every frame in every pass', default: t(MP.iterations.default) },
    { name: 'blend-weight', field: 'blendWeight', type: 'number', arg: 'X', min: MP.blendWeight.min, max: MP.blendWeight.max, help: "with --passes: δ, the warped neighbour's weight in a frame's start", default: t(MP.blendWeight.default) },
    { name: 'temporal-from-pass', field: 'temporalFromPass', type: 'int', arg: 'N', min: MP.temporalFromPass.min, max: MP.temporalFromPass.max, help: 'with --passes: the first pass with the temporal loss', default: 'passes / 2 + 1' },
    { name: 'max-frames', field: 'maxFrames', type: 'int', arg: 'N', min: MP.maxFrames.min, max: MP.maxFrames.max, help: 'with --passes: the most frames a clip may have (all are kept in memory)', default: t(MP.maxFrames.default) },
    { name: 'fps', type: 'number', arg: 'X', min: 0.01, max: 1000, help: 'frames per second of the output (and resample a video input to it)', default: '25' },
    { name: 'frames', type: 'string', arg: 'DIR', help: 'with a video output: where the stylised frames are kept (for resuming)', default: '<out>.frames' },
    { name: 'fresh', type: 'boolean', help: 'recompute frames already in the output folder instead of resuming' },
    { name: 'ffmpeg', type: 'string', arg: 'PATH', help: 'the ffmpeg binary', default: 'ffmpeg on PATH' },
    ...STYLIZE_FLAGS.filter((fl) => !NOT_VIDEO_FLAGS.includes(fl.name)),
  ],
  notes: [
    'Each stylised frame is written as <frames>/frame_00001.png, … as soon as it is done; Ctrl-C (exit 130) keeps them,',
    'and the same command again resumes after the last one (--fresh starts over). A video output is encoded from the',
    'folder at the end. Video files need ffmpeg on PATH (or --ffmpeg); folders of frames do not.',
    'With --passes N every frame is kept in memory and the frames are written after the last pass: Ctrl-C writes',
    'nothing, and a folder that already holds frames is refused unless --fresh (a multi-pass run cannot resume).',
  ],
  examples: [
    `${BIN} video clip.mp4 starry_night.jpg -o out.mp4 --size 256 --iterations 100`,
    `${BIN} video frames/ scream.jpg -o styled/ --consistency warped-start --json`,
    `${BIN} video clip.mp4 starry_night.jpg -o out.mp4 --size 256 --passes 6 --pass-iterations 20`,
  ],
};

export const COMMANDS: CommandSpec[] = [STYLIZE, SWEEP, FEATURES, RECONSTRUCT, STUDY, VIDEO];

export function mainHelp(version: string): string {
  return [
    `${BIN} ${version} — neural style transfer (Gatys et al.) on TensorFlow.js, and pictures of what each VGG-19 layer sees.`,
    '',
    `Usage: ${BIN} <command> [options]      ${BIN} <command> --help`,
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.short}`),
    `  ${'worker'.padEnd(12)} run the jobs of stylize/sweep/study --queue, from a BullMQ queue on Redis`,
    '',
    'Options: --help, --version. Exit codes: 0 done, 2 bad input (paths, files, options), 1 other failures, 130 interrupted.',
    `Outputs never replace an input. Limits, the overwrite policy and every event of --json: ${DOCS_URL} (the CLI section).`,
  ].join('\n');
}
