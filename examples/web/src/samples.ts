/**
 * Built-in sample images. Photos copied in at build time (public/samples/, listed in __SAMPLES__ by the Vite
 * config) are used when present; the two procedural pictures drawn here always exist, so the page works with
 * zero clicks on a file dialog even when no photo was copied.
 */
declare const __SAMPLES__: { file: string; label: string; role: 'content' | 'style' }[];

export interface Sample {
  id: string;
  label: string;
  role: 'content' | 'style';
  load: () => Promise<HTMLCanvasElement | HTMLImageElement>;
}

/** Small deterministic PRNG (mulberry32) so the procedural samples are the same on every visit. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function canvas(w: number, h: number): [HTMLCanvasElement, CanvasRenderingContext2D] {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  return [c, c.getContext('2d')!];
}

/** A riverside town: sky, hills, a row of gabled houses and their reflection (a stand-in for the Tübingen photo). */
export function drawTown(w = 512, h = 384): HTMLCanvasElement {
  const [c, g] = canvas(w, h);
  const r = rng(7);
  const sky = g.createLinearGradient(0, 0, 0, h * 0.55);
  sky.addColorStop(0, '#6fa8dc');
  sky.addColorStop(1, '#f3e3c3');
  g.fillStyle = sky;
  g.fillRect(0, 0, w, h);
  g.fillStyle = '#fff3b0';
  g.beginPath();
  g.arc(w * 0.8, h * 0.16, h * 0.07, 0, Math.PI * 2);
  g.fill();
  // Two layers of hills.
  for (const [y0, amp, col] of [[0.4, 0.05, '#7d9f6b'], [0.47, 0.04, '#4f7a45']] as const) {
    g.fillStyle = col;
    g.beginPath();
    g.moveTo(0, h);
    for (let x = 0; x <= w; x += 4) g.lineTo(x, h * (y0 - amp * Math.sin(x / w * 5 + y0 * 20) - amp * 0.5 * Math.sin(x / w * 13)));
    g.lineTo(w, h);
    g.fill();
  }
  // River.
  const water = g.createLinearGradient(0, h * 0.72, 0, h);
  water.addColorStop(0, '#40667f');
  water.addColorStop(1, '#1d3546');
  g.fillStyle = water;
  g.fillRect(0, h * 0.72, w, h * 0.28);
  const colours = ['#e8c07d', '#d98b5f', '#f0e2c0', '#c9d6a3', '#e6a8a0', '#f4d35e', '#b8c4d6'];
  const roofs = ['#8c3b2e', '#6b2f24', '#a4503a', '#5a4a42'];
  let x = -10;
  const base = h * 0.72;
  while (x < w) {
    const bw = 38 + r() * 34;
    const bh = 70 + r() * 70;
    const col = colours[Math.floor(r() * colours.length)];
    g.fillStyle = col;
    g.fillRect(x, base - bh, bw, bh);
    g.fillStyle = roofs[Math.floor(r() * roofs.length)];
    g.beginPath();
    g.moveTo(x - 3, base - bh);
    g.lineTo(x + bw / 2, base - bh - 22 - r() * 26);
    g.lineTo(x + bw + 3, base - bh);
    g.fill();
    g.fillStyle = '#3b3f4a';
    for (let wy = base - bh + 12; wy < base - 14; wy += 20) {
      for (let wx = x + 7; wx < x + bw - 10; wx += 13) g.fillRect(wx, wy, 7, 10);
    }
    // Reflection: the house flipped into the water, darker and wavy.
    g.globalAlpha = 0.35;
    g.fillStyle = col;
    for (let ry = 0; ry < bh * 0.6; ry += 3) g.fillRect(x + Math.sin(ry / 4) * 2, base + ry, bw, 2);
    g.globalAlpha = 1;
    x += bw + 2 + r() * 6;
  }
  // Embankment.
  g.fillStyle = '#6e6658';
  g.fillRect(0, base - 4, w, 6);
  return c;
}

/** Swirling brush strokes around a few vortices and a glowing moon (a stand-in for The Starry Night). */
export function drawSwirls(w = 512, h = 384): HTMLCanvasElement {
  const [c, g] = canvas(w, h);
  const r = rng(11);
  g.fillStyle = '#14305e';
  g.fillRect(0, 0, w, h);
  const vortices = [
    { x: w * 0.3, y: h * 0.35, s: 1 },
    { x: w * 0.62, y: h * 0.28, s: -1 },
    { x: w * 0.5, y: h * 0.7, s: 1 },
  ];
  const field = (px: number, py: number): [number, number] => {
    let vx = 1.2;
    let vy = 0.1;
    for (const v of vortices) {
      const dx = px - v.x;
      const dy = py - v.y;
      const d2 = dx * dx + dy * dy + 400;
      const k = (v.s * 9000) / d2;
      vx += -dy * k * 0.02;
      vy += dx * k * 0.02;
    }
    const n = Math.hypot(vx, vy);
    return [vx / n, vy / n];
  };
  const palette = ['#1f4e99', '#2f6dc0', '#5d8fd6', '#a9c7e8', '#f2d16b', '#f7e7a1', '#0d1f3f', '#3c7f9e'];
  g.lineCap = 'round';
  for (let i = 0; i < 2600; i++) {
    let px = r() * w;
    let py = r() * h;
    g.strokeStyle = palette[Math.floor(r() * palette.length)];
    g.lineWidth = 2 + r() * 4;
    g.beginPath();
    g.moveTo(px, py);
    const steps = 6 + Math.floor(r() * 10);
    for (let s = 0; s < steps; s++) {
      const [dx, dy] = field(px, py);
      px += dx * 4;
      py += dy * 4;
      g.lineTo(px, py);
    }
    g.stroke();
  }
  // Moon with rings.
  for (let ring = 5; ring >= 0; ring--) {
    g.strokeStyle = ring % 2 ? '#f2d16b' : '#fbeeb0';
    g.lineWidth = 5;
    g.beginPath();
    g.arc(w * 0.84, h * 0.18, 14 + ring * 8, 0, Math.PI * 2);
    g.stroke();
  }
  g.fillStyle = '#fff6c9';
  g.beginPath();
  g.arc(w * 0.84, h * 0.18, 14, 0, Math.PI * 2);
  g.fill();
  // A dark flame-like cypress on the left.
  g.fillStyle = '#10241a';
  g.beginPath();
  g.moveTo(w * 0.06, h);
  for (let y = h; y > h * 0.15; y -= 8) g.lineTo(w * (0.1 + 0.04 * Math.sin(y / 17)) - (h - y) * 0.03 * (y / h), y);
  for (let y = h * 0.15; y < h; y += 8) g.lineTo(w * (0.16 + 0.03 * Math.sin(y / 13)) + (h - y) * 0.02 * (y / h), y);
  g.fill();
  return c;
}

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`Could not load ${url}`));
    img.src = url;
  });
}

/** Every sample: the copied photos first (when the build found them), then the procedural pair. */
export function samples(): Sample[] {
  const base = import.meta.env.BASE_URL;
  const photos: Sample[] = (typeof __SAMPLES__ === 'undefined' ? [] : __SAMPLES__).map((s) => ({
    id: s.file,
    label: s.label,
    role: s.role,
    load: () => loadImage(`${base}samples/${s.file}`),
  }));
  return [
    ...photos,
    { id: 'procedural-town', label: 'Town (drawn)', role: 'content', load: async () => drawTown() },
    { id: 'procedural-swirls', label: 'Swirls (drawn)', role: 'style', load: async () => drawSwirls() },
  ];
}
