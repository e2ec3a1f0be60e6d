/**
 * BINDINGS: real values for the placeholder names doc blocks declare (`<!-- doc-code: declare const photo: … -->`),
 * so the blocks run as written. Pictures come from ../shared/images, shrunk to 32 px (caps.mjs's size) and written
 * into the run's folder under the names the blocks read (FILES), e.g. README's `readImage('photo.jpg')`.
 * A block whose placeholder has no binding here fails the run: add one, or mark the block
 * `<!-- doc-code: no-run REASON -->` when it cannot run in Node.
 */
/** Files the blocks open by name, in the run's working folder: name -> picture of ../shared/images. */
export const FILES = {
  'photo.jpg': 'tubingen.jpg',
  'starry_night.jpg': 'starry_night.jpg',
  'style.jpg': 'starry_night.jpg',
  'the_scream.jpg': 'the_scream.jpg',
  'golden_gate.jpg': 'golden_gate.jpg',
};

/** A grey mask as big as the photo, white where `inside(x, y)` (x, y in 0–1). */
function mask(photo, inside) {
  const { width, height } = photo;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = inside(x / width, y / height) ? 255 : 0;
      data.set([v, v, v, 255], (y * width + x) * 4);
    }
  }
  return { data, width, height };
}

/** A colour-coded segmentation map: the palette's blue above the horizon, its green below. */
function segmentation(img) {
  const { width, height } = img;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(y < height * 0.4 ? [0, 0, 255, 255] : [0, 255, 0, 255], (y * width + x) * 4);
  return { data, width, height };
}

/**
 * name -> (ctx) => value. ctx: { image(file) (a FILES picture as RGBA), bytes(file), node (the built
 * `neural-style-tfjs/node` module) }.
 */
export const BINDINGS = {
  photo: (c) => c.image('photo.jpg'),
  photoA: (c) => c.image('photo.jpg'),
  photoB: (c) => c.image('golden_gate.jpg'),
  image: (c) => c.image('photo.jpg'),
  content: (c) => c.image('photo.jpg'),
  style: (c) => c.image('starry_night.jpg'),
  starry: (c) => c.image('starry_night.jpg'),
  styleRgba: (c) => c.image('starry_night.jpg'),
  scream: (c) => c.image('the_scream.jpg'),
  sky: async (c) => mask(await c.image('photo.jpg'), (_, y) => y < 0.4),
  rest: async (c) => mask(await c.image('photo.jpg'), (_, y) => y >= 0.4),
  photoMap: async (c) => segmentation(await c.image('photo.jpg')),
  starryMap: async (c) => segmentation(await c.image('starry_night.jpg')),
  upload: (c) => c.bytes('photo.jpg'),
  model: (c) => c.node.loadVgg19(),
  signal: () => AbortSignal.timeout(600_000),
  good: () => 0, // a loss no 2-iteration run reaches: the loop runs to its end
  send: () => (png) => {
    if (!(png.width > 0 && png.height > 0 && png.data.length === png.width * png.height * 4)) throw new Error('send() got no RGBA image');
  },
};

const made = new Map();
let context;

/** Called once by the runner: what the factories get (see BINDINGS). */
export function setContext(c) {
  context = c;
}

/** The values of the placeholders `names`, each made once per run (a block module imports this). */
export async function bind(names) {
  const out = {};
  for (const n of names) {
    if (!made.has(n)) made.set(n, Promise.resolve().then(() => BINDINGS[n](context)));
    out[n] = await made.get(n);
  }
  return out;
}
