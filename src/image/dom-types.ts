/**
 * The DOM classes that appear in public signatures (image inputs, `toImageData()`), written so that the package's
 * declarations compile in projects without the DOM lib (a Node app with `lib: ["es2022"]`): each is the instance
 * type of the global class where the DOM (or WebWorker) lib declares it, and `never` where it does not. With the
 * DOM lib they are exactly `ImageData`, `HTMLImageElement`, … .
 */
type Globals = typeof globalThis;
/** The instance type of the global class `K`, or `never` where no lib declares it. */
type DomClass<K extends string> = Globals extends Record<K, { prototype: infer T }> ? T : never;

/** `ImageData` where the DOM lib is loaded, else `never`. */
export type DomImageData = DomClass<'ImageData'>;
/** The DOM image sources `tf.browser.fromPixels` reads (each `never` without the DOM lib). */
export type DomImageSource =
  | DomClass<'HTMLImageElement'>
  | DomClass<'HTMLCanvasElement'>
  | DomClass<'HTMLVideoElement'>
  | DomClass<'OffscreenCanvas'>
  | DomClass<'ImageBitmap'>;
/** `HTMLVideoElement` where the DOM lib is loaded, else `never`. */
export type DomVideoElement = DomClass<'HTMLVideoElement'>;
/** `Blob` (and so `File`) where a lib declares it, else `never`. */
export type DomBlob = DomClass<'Blob'>;
/** WebCodecs `VideoFrame` where a lib declares it, else `never`. */
export type DomVideoFrame = DomClass<'VideoFrame'>;
/** `MediaStream` (a webcam, a canvas capture) where the DOM lib is loaded, else `never`. */
export type DomMediaStream = DomClass<'MediaStream'>;
/** `MediaStreamTrack` where the DOM lib is loaded, else `never`. */
export type DomMediaStreamTrack = DomClass<'MediaStreamTrack'>;
