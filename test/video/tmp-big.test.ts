import { it, expect } from 'vitest';
import { framesFromVideo } from '../../src/video/node/ffmpeg.js';
it('big', async () => {
  let n = 0; let maxRss = 0;
  for await (const f of framesFromVideo('/tmp/video-big.mp4')) { n++; expect(f.data.length).toBe(640 * 480 * 4); maxRss = Math.max(maxRss, process.memoryUsage().rss); }
  console.log('frames', n, 'rss MB', (maxRss / 2 ** 20).toFixed(0));
  expect(n).toBe(12);
});
