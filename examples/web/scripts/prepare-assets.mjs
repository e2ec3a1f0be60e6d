#!/usr/bin/env node
// Copies what the page serves but git does not hold into examples/web/public/ (gitignored):
//   weights/  ← the repo's weights/ (manifest.json + shards; built by `npm run weights` if missing)
//   samples/  ← tubingen.jpg and starry_night.jpg from ../shared/images (or $NST_SAMPLES_DIR), when present.
// Without the sample photos the page still works: it draws procedural samples instead.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(web, '..', '..');
const pub = join(web, 'public');

// ---- weights
const weightsSrc = join(repo, 'weights');
if (!existsSync(join(weightsSrc, 'manifest.json'))) {
  console.log('prepare-assets: weights/ has no manifest.json; running `npm run weights`…');
  const r = spawnSync(process.execPath, [join(repo, 'scripts', 'build-weights.mjs'), '--if-missing'], { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(join(weightsSrc, 'manifest.json'))) {
    console.error('prepare-assets: no weights. Build them with `npm run weights` (needs ../shared/vgg19) and try again.');
    process.exit(1);
  }
}
const manifest = JSON.parse(readFileSync(join(weightsSrc, 'manifest.json'), 'utf8'));
const weightsOut = join(pub, 'weights');
rmSync(weightsOut, { recursive: true, force: true });
mkdirSync(weightsOut, { recursive: true });
copyFileSync(join(weightsSrc, 'manifest.json'), join(weightsOut, 'manifest.json'));
let bytes = 0;
for (const shard of manifest.shards) {
  const from = join(weightsSrc, shard.file);
  if (!existsSync(from)) {
    console.error(`prepare-assets: weights/${shard.file} is missing (listed in weights/manifest.json). Rebuild with \`npm run weights\`.`);
    process.exit(1);
  }
  copyFileSync(from, join(weightsOut, shard.file));
  bytes += shard.byteLength;
}
console.log(`prepare-assets: copied ${manifest.shards.length} weight shards (${(bytes / 1e6).toFixed(1)} MB) to examples/web/public/weights/`);

// ---- sample photos
const samplesSrc = process.env.NST_SAMPLES_DIR ? resolve(process.env.NST_SAMPLES_DIR) : resolve(repo, '..', 'shared', 'images');
const samplesOut = join(pub, 'samples');
rmSync(samplesOut, { recursive: true, force: true });
const wanted = ['tubingen.jpg', 'starry_night.jpg'];
const found = existsSync(samplesSrc) ? wanted.filter((f) => readdirSync(samplesSrc).includes(f)) : [];
if (found.length) {
  mkdirSync(samplesOut, { recursive: true });
  for (const f of found) copyFileSync(join(samplesSrc, f), join(samplesOut, f));
  console.log(`prepare-assets: copied sample photos ${found.join(', ')} from ${samplesSrc}`);
} else {
  console.log(`prepare-assets: no sample photos at ${samplesSrc}; the page will use its procedural samples.`);
}
