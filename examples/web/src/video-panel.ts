/**
 * The Video card: a clip (built-in, uploaded, or recorded from the camera) stylised frame by frame in the worker with the page's settings,
 * progress per frame, Cancel, then the stylised frames played back in a loop with each frame's temporal error
 * (Ruder et al.'s: how much it differs from the previous stylised frame carried along the motion), and a
 * download of them as a WebM file.
 */
import { clipFromCamera, clipFromFile, openCamera, pannedClip } from './video-clip';
import type { FromWorker, Pixels, StylizeParams, ToWorker, VideoParams } from './protocol';

export interface VideoElements {
  source: HTMLSelectElement;
  input: HTMLInputElement;
  frames: HTMLInputElement;
  iterations: HTMLInputElement;
  consistency: HTMLSelectElement;
  run: HTMLButtonElement;
  cancel: HTMLButtonElement;
  progress: HTMLProgressElement;
  progressText: HTMLElement;
  canvas: HTMLCanvasElement;
  /** The camera's live picture, shown from choosing the camera until its frames are recorded. */
  preview: HTMLVideoElement;
  play: HTMLButtonElement;
  download: HTMLButtonElement;
  frameLabel: HTMLElement;
  errors: HTMLOListElement;
}

export interface VideoHost {
  send: (msg: ToWorker, transfer?: Transferable[]) => void;
  nextId: () => number;
  /** The page's settings (size, layers, weights…); throws with a message for the user when one is wrong. */
  params: () => StylizeParams;
  content: () => { pixels: Pixels } | undefined;
  style: () => { pixels: Pixels; key: string } | undefined;
  showError: (message: string) => void;
  clearError: () => void;
}

/** Playback speed, frames per second; also the camera's recording rate and the downloaded WebM's. */
const FPS = 4;

export class VideoPanel {
  private runId = 0;
  private frames: Pixels[] = [];
  private shown = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading: AbortController | undefined;
  /** The open camera while it is previewed (and then recorded from); released once its frames are in. */
  private camera: MediaStream | undefined;
  private opening: Promise<MediaStream> | undefined;

  constructor(private readonly el: VideoElements, private readonly host: VideoHost) {
    el.run.addEventListener('click', () => void this.start());
    el.cancel.addEventListener('click', () => this.stop());
    el.play.addEventListener('click', () => (this.timer ? this.pause() : this.play()));
    el.download.addEventListener('click', () => void this.download());
    el.input.addEventListener('change', () => {
      if (el.input.files?.length) el.source.value = 'file';
      this.closeCamera();
    });
    el.source.addEventListener('change', () => {
      if (el.source.value !== 'webcam') return this.closeCamera();
      this.host.clearError();
      this.previewCamera().catch((e: Error) => el.source.value === 'webcam' && this.host.showError(`Video: ${e.message}`));
    });
    this.setState('idle');
  }

  /** Takes the worker's video messages (and errors of its runs); false for the others. */
  handle(m: FromWorker): boolean {
    if (m.type === 'error' && m.id !== undefined && m.id === this.runId) {
      this.host.showError(m.code ? `Video: ${m.message} (${m.code})` : `Video: ${m.message}`);
      this.setState('error');
      return true;
    }
    if (m.type !== 'video-iteration' && m.type !== 'video-frame' && m.type !== 'video-end') return false;
    if (m.id !== this.runId) return true;
    if (m.type === 'video-iteration') {
      this.el.progress.value = m.frame + m.iteration / m.iterations;
      this.el.progressText.textContent = `Frame ${m.frame + 1} of ${m.frames}: iteration ${m.iteration} of ${m.iterations}`;
    } else if (m.type === 'video-frame') {
      this.frames[m.index] = m.image;
      this.el.progress.value = m.index + 1;
      this.addErrorRow(m);
      this.show(m.index);
    } else {
      const s = (m.totalMs / 1000).toFixed(1);
      this.el.progressText.textContent = m.cancelled ? `Cancelled after ${m.done} frame${m.done === 1 ? '' : 's'}.` : `Done: ${m.done} frames in ${s} s.`;
      this.setState(m.cancelled ? 'cancelled' : 'done');
      if (this.frames.length > 1) this.play();
    }
    return true;
  }

  private async start(): Promise<void> {
    this.host.clearError();
    const style = this.host.style();
    const content = this.host.content();
    let params: StylizeParams;
    let video: VideoParams;
    let count: number;
    try {
      if (!style || !content) throw new Error('The images are still loading; try again in a moment.');
      params = this.host.params();
      count = readInt(this.el.frames, 'Frames', 2, 12);
      video = { iterations: readInt(this.el.iterations, 'Iterations per frame', 1, 500), consistency: this.el.consistency.value as VideoParams['consistency'] };
    } catch (e) {
      this.host.showError((e as Error).message);
      return;
    }
    this.pause();
    this.frames = [];
    this.el.errors.replaceChildren();
    this.el.progress.max = count;
    this.el.progress.value = 0;
    this.setState('running');
    let clip: Pixels[];
    try {
      const file = this.el.input.files?.[0];
      if (this.el.source.value === 'file') {
        if (!file) throw new Error('Choose a video file first, or use the built-in clip.');
        this.el.progressText.textContent = 'Reading the clip’s frames…';
        this.reading = new AbortController();
        clip = await clipFromFile(file, count, params.size, this.reading.signal);
      } else if (this.el.source.value === 'webcam') {
        this.el.progressText.textContent = 'Opening the camera…';
        this.reading = new AbortController();
        const camera = await this.previewCamera();
        try {
          clip = await clipFromCamera(camera, count, FPS, params.size, this.reading.signal, (frame, n) => {
            // Each recorded frame is shown as it comes in, beside the live picture, so the user sees what was caught.
            this.draw(frame);
            this.el.progressText.textContent = `Recorded frame ${n} of ${count} from the camera…`;
          });
        } finally {
          this.closeCamera();
        }
      } else {
        clip = pannedClip(content.pixels, count, params.size);
      }
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== 'ABORTED') this.host.showError(`Video: ${(e as Error).message}${code ? ` (${code})` : ''}`);
      else this.el.progressText.textContent = 'Cancelled before the frames were read.';
      this.setState(code === 'ABORTED' ? 'cancelled' : 'error');
      return;
    } finally {
      this.reading = undefined;
    }
    this.runId = this.host.nextId();
    this.el.canvas.width = clip[0].width;
    this.el.canvas.height = clip[0].height;
    this.el.progressText.textContent = `Preparing the style; ${clip.length} frames of ${clip[0].width}x${clip[0].height}…`;
    this.host.send(
      { type: 'video', id: this.runId, frames: clip, style: style.pixels, styleKey: style.key, params, video },
      clip.map((f) => f.data.buffer),
    );
  }

  /**
   * Opens the camera (once) and shows its live picture, so the shot can be framed before recording; resolves to
   * the stream, rejects with what to do when the camera cannot be opened.
   */
  private async previewCamera(): Promise<MediaStream> {
    this.opening ??= openCamera().finally(() => (this.opening = undefined));
    const stream = this.camera ?? (await this.opening);
    if (this.camera === stream) return stream;
    if (this.el.source.value !== 'webcam') {
      // The source changed while the permission prompt was up.
      for (const t of stream.getTracks()) t.stop();
      throw new Error('The clip source is no longer the camera.');
    }
    this.camera = stream;
    this.el.preview.srcObject = stream;
    this.el.preview.hidden = false;
    await this.el.preview.play().catch(() => undefined);
    return stream;
  }

  /** Releases the camera and hides its preview (nothing when it is not open). */
  private closeCamera(): void {
    if (!this.camera) return;
    for (const t of this.camera.getTracks()) t.stop();
    this.camera = undefined;
    this.el.preview.srcObject = null;
    this.el.preview.hidden = true;
  }

  private stop(): void {
    if (this.reading) return this.reading.abort(new Error('cancelled by the user'));
    if (document.body.dataset.video !== 'running') return;
    this.host.send({ type: 'cancel', id: this.runId });
    this.el.progressText.textContent = 'Cancelling…';
  }

  /**
   * Records the stylised frames to WebM with the library's `videoFromFrames` (the browser's MediaRecorder, in real
   * time: n frames take n/FPS s) and saves the file.
   */
  private async download(): Promise<void> {
    const frames = this.frames.filter(Boolean);
    if (!frames.length) return;
    this.pause();
    const button = this.el.download;
    button.disabled = true;
    button.textContent = 'Recording…';
    try {
      const { videoFromFrames } = await import('neural-style-tfjs/webgl');
      saveBlob(await videoFromFrames(frames, { fps: FPS }), 'stylised-clip.webm');
    } catch (e) {
      const code = (e as { code?: string }).code;
      this.host.showError(`Video: ${(e as Error).message}${code ? ` (${code})` : ''}`);
    } finally {
      button.textContent = 'Download WebM';
      button.disabled = document.body.dataset.video === 'running';
    }
  }

  private addErrorRow(m: Extract<FromWorker, { type: 'video-frame' }>): void {
    const li = document.createElement('li');
    li.dataset.frame = String(m.index);
    if (m.temporalError !== undefined) li.dataset.temporalError = String(m.temporalError);
    const err = m.temporalError === undefined ? 'first frame' : `temporal error ${m.temporalError.toFixed(1)}`;
    const reliable = m.reliable === undefined ? '' : ` on ${(m.reliable * 100).toFixed(0)} % of pixels`;
    li.textContent = `Frame ${m.index + 1}: ${err}${reliable} · ${m.iterations} iterations · ${(m.ms / 1000).toFixed(1)} s`;
    li.addEventListener('click', () => (this.pause(), this.show(m.index)));
    this.el.errors.append(li);
  }

  private show(index: number): void {
    const f = this.frames[index];
    if (!f) return;
    this.shown = index;
    this.draw(f);
    this.el.canvas.dataset.frame = String(index);
    this.el.frameLabel.textContent = `Frame ${index + 1} of ${this.frames.length}`;
    for (const li of this.el.errors.children) li.classList.toggle('current', (li as HTMLElement).dataset.frame === String(index));
  }

  private draw(f: Pixels): void {
    if (this.el.canvas.width !== f.width || this.el.canvas.height !== f.height) [this.el.canvas.width, this.el.canvas.height] = [f.width, f.height];
    this.el.canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(f.data), f.width, f.height), 0, 0);
  }

  private play(): void {
    if (this.timer || this.frames.length < 2) return;
    this.timer = setInterval(() => this.show((this.shown + 1) % this.frames.length), 1000 / FPS);
    this.el.play.textContent = 'Pause';
  }

  private pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.el.play.textContent = 'Play';
  }

  private setState(s: 'idle' | 'running' | 'done' | 'cancelled' | 'error'): void {
    document.body.dataset.video = s;
    this.el.run.disabled = s === 'running';
    this.el.cancel.disabled = s !== 'running';
    this.el.play.disabled = s === 'running' || this.frames.filter(Boolean).length < 2;
    this.el.download.disabled = s === 'running' || !this.frames.some(Boolean);
  }
}

/** Saves `blob` as `name` (a temporary object URL and a link with `download`). */
function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function readInt(input: HTMLInputElement, name: string, min: number, max: number): number {
  const v = Number(input.value);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be a whole number from ${min} to ${max}.`);
  return v;
}
