#!/usr/bin/env node
/**
 * The consumer suite: the package as its users get it. `npm pack`s the built package, installs the tarball (never
 * a link) into fresh projects in a temp folder, and checks each kind of host:
 *
 * - publint and @arethetypeswrong/cli on the tarball (every resolution mode, node10 through `typesVersions`);
 * - a Node-only app (`npm install <tarball>`, peers installed by npm): ESM and CommonJS stylize at 32 px through
 *   `/node` and `/wasm`, the app's own uncaught errors exit as plain Node's do, a missing optional backend is named,
 *   an esbuild `--platform=node` bundle runs, the CLI works (and stays quiet when its stdout closes), one tfjs-core;
 * - `npx` of the tarball in an empty folder (a fresh machine: peers come from npm);
 * - a browser app with every bundler (esbuild, Vite, webpack 5) and every browser entry point (/webgpu, the same
 *   file as /browser, with esbuild only), each bundle run in
 *   headless Chromium (a tiny stylize; WebGL on SwiftShader, WebGPU on SwiftShader's adapter): with default
 *   settings exactly the warnings of docs/browser.md's table, silenced as it says none; /browser without WebGPU
 *   logging nothing beyond Chromium's own lines; the default weights location in the Vite dev server and a plain
 *   page with an import map;
 * - an app that already has its own tfjs-core at the lowest supported version: one copy, no "already registered"
 *   warnings, its own tensor accepted at run time and by the type checker;
 * - `tsc` on realistic usage with TypeScript 5.0 and the newest release, strict, skipLibCheck
 *   false: see typesGroup for the exact matrix (DOM and no-DOM projects, node10 through node16/nodenext/bundler).
 *
 * Run after `npm run build` (CI: .ci/run). Installs use npm's cache (`--prefer-offline`), so a machine that ran
 * `npm ci` installs from disk. Prints one closing line per check (`ok` / `FAIL`) and exits 1 if any failed.
 * Options: --keep (keep the temp folder), --only=<name,...> (run some groups: pack,node,npx,browser,own-tf,types),
 * --bundlers=<esbuild,vite,webpack>, --entries=<browser,webgl,...>, --ts=<5.0,newest>.
 * Environment: CHROMIUM_PATH (default /usr/bin/chromium).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FIXTURES = join(ROOT, 'test/consumer');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
/** The tfjs versions the suite installs: the newest (what the repo builds with) and the lowest supported. */
const TF_NEWEST = pkg.devDependencies['@tensorflow/tfjs-core'];
const TF_LOWEST = pkg.peerDependencies['@tensorflow/tfjs-core'].replace(/^\^/, '');
/** TypeScript versions of the types matrix: the lowest supported and the newest release (7.x). */
const TS_VERSIONS = { '5.0': '5.0.4', newest: 'latest' };
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const listArg = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3).split(',');
const only = listArg('only');
const onlyBundlers = listArg('bundlers');
const onlyEntries = listArg('entries');
const onlyTs = listArg('ts');

const t0 = Date.now();
const secs = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
const results = [];
const tmp = mkdtempSync(join(tmpdir(), 'nst-consumers-'));

/** Runs one check and prints its closing line; a failure is recorded, printed in full, and the suite goes on. */
async function check(name, fn) {
  const start = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${secs(start)})${note ? ` — ${note}` : ''}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name} (${secs(start)})\n${String(e?.stack ?? e).replace(/^/gm, '     | ')}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Runs a command; resolves to { code, stdout, stderr } (never rejects on a non-zero exit). */
function run(cmd, argv, { cwd, env, input, timeout = 300_000 } = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

async function runOk(cmd, argv, opts) {
  const r = await run(cmd, argv, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
  return r;
}

const lastJson = (text) => JSON.parse(text.trim().split('\n').filter((l) => l.startsWith('{')).at(-1) ?? 'null');

/** npm install in a project, from npm's cache when it has the packages. */
async function npmInstall(dir, specs, extra = []) {
  await runOk('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...extra, ...specs], { cwd: dir });
}

function project(name, packageJson = {}) {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, ...packageJson }, null, 2));
  return dir;
}

/** Every installed copy of a package in a project's node_modules (path → version). */
function copiesOf(dir, name) {
  const found = [];
  const walk = (nm) => {
    if (!existsSync(nm)) return;
    for (const entry of readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      const sub = entry.startsWith('@') ? readdirSync(join(nm, entry)).map((e) => join(entry, e)) : [entry];
      for (const s of sub) {
        const p = join(nm, s);
        if (s === name) found.push({ path: p, version: JSON.parse(readFileSync(join(p, 'package.json'), 'utf8')).version });
        walk(join(p, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return found;
}

function duMegabytes(path) {
  let bytes = 0;
  const walk = (p) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else bytes += st.size;
  };
  walk(path);
  return bytes / 1e6;
}

/** Writes content.png and style.png (32x32) into `dir` for the CLI. */
function makeImages(dir) {
  const { PNG } = createRequire(join(ROOT, 'package.json'))('pngjs');
  for (const [name, seed] of [['content.png', 13], ['style.png', 91]]) {
    const png = new PNG({ width: 32, height: 32 });
    for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : (i * seed) % 256;
    writeFileSync(join(dir, name), PNG.sync.write(png));
  }
}

const ALREADY_REGISTERED = /already registered|has already been set|Platform .* already/i;

// ---------------------------------------------------------------------------------------------------------------
// The tarball

let tarball;
let tarballInfo;

async function packGroup() {
  await check('npm pack: the tarball has what a user needs and nothing else', async () => {
    const out = join(tmp, 'pack');
    mkdirSync(out);
    // --ignore-scripts: the suite tests the build in dist/ (prepare would rebuild it).
    assert(existsSync(join(ROOT, 'dist/node.js')) && existsSync(join(ROOT, 'weights/manifest.json')), 'build the package first (npm run weights && npm run build)');
    const r = await runOk('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out, '--loglevel=error'], { cwd: ROOT });
    const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0];
    tarball = join(out, info.filename);
    tarballInfo = info;
    const files = info.files.map((f) => f.path);
    for (const need of ['LICENSE', 'README.md', 'weights/manifest.json', 'weights/README.md', 'weights/LICENSE', 'dist/cli.js', 'dist/node.js', 'dist/node.cjs', 'dist/stylizer-worker.js', 'dist/queue-child.js', 'dist/queue.js', 'dist/wasm-node.js', 'dist/webgpu.js', 'docs/browser.md', 'docs/cli.md']) {
      assert(files.includes(need), `the tarball lacks ${need}`);
    }
    assert(files.some((f) => /^weights\/vgg19-shard.*\.bin$/.test(f)), 'the tarball has no weight shards');
    const unwanted = files.filter((f) => /^dist\/(cli|commands-[\w-]+)\.cjs|^dist\/cli\.d\.|^src\/|^test\/|^scripts\/|\.tgz$/.test(f));
    assert(unwanted.length === 0, `the tarball ships files nobody uses: ${unwanted.join(', ')}`);
    // Source maps point into src/ without embedding it; the published manifest runs nothing at install.
    const embedding = files.filter((f) => f.endsWith('.map') && JSON.parse(readFileSync(join(ROOT, f), 'utf8')).sourcesContent);
    assert(embedding.length === 0, `source maps embedding their sources: ${embedding.join(', ')}`);
    const installScripts = ['preinstall', 'install', 'postinstall', 'prepare'].filter((k) => pkg.scripts?.[k]);
    assert(installScripts.length === 0, `install-time scripts in package.json: ${installScripts.join(', ')}`);
    return `${info.filename}: ${(info.size / 1e6).toFixed(1)} MB packed, ${(info.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${info.entryCount} files`;
  });
  if (!tarball) throw new Error('no tarball: cannot go on');

  await check('publint: no errors, warnings or suggestions', async () => {
    const r = await runOk(join(ROOT, 'node_modules/.bin/publint'), ['run', tarball, '--strict', '--level', 'suggestion'], { cwd: tmp });
    assert(/All good/.test(r.stdout), `publint reported:\n${r.stdout}`);
  });

  await check('@arethetypeswrong/cli: types resolve for every entry in every mode (node10, node16 CJS + ESM, bundler)', async () => {
    const r = await run(join(ROOT, 'node_modules/.bin/attw'), [tarball, '--format', 'ascii'], { cwd: tmp });
    assert(r.code === 0, `attw found problems:\n${r.stdout}\n${r.stderr}`);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Node

async function nodeGroup() {
  const dir = project('node', { type: 'module' });
  await check('node app: npm install <tarball> installs the required peers and no browser backend', async () => {
    await npmInstall(dir, [tarball]);
    const tf = copiesOf(dir, '@tensorflow/tfjs-core');
    assert(tf.length === 1 && tf[0].version === TF_NEWEST, `expected one tfjs-core ${TF_NEWEST}, found ${JSON.stringify(tf)}`);
    for (const p of ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm']) assert(copiesOf(dir, p).length === 1, `${p} was not installed`);
    for (const p of ['@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-webgpu']) assert(copiesOf(dir, p).length === 0, `${p} was installed for a Node app`);
    return `node_modules ${duMegabytes(join(dir, 'node_modules')).toFixed(0)} MB, tfjs-core ${tf[0].version}`;
  });
  for (const f of ['stylize-node.mjs', 'stylize-node.cjs', 'crash.mjs', 'bundle-node.mjs']) cpSync(join(FIXTURES, f), join(dir, f));

  for (const [script, entry] of [['stylize-node.mjs', 'node'], ['stylize-node.cjs', 'node'], ['stylize-node.mjs', 'wasm'], ['stylize-node.cjs', 'wasm']]) {
    await check(`node app: ${script.endsWith('.cjs') ? 'CommonJS' : 'ESM'} stylize at 32 px via neural-style-tfjs/${entry}`, async () => {
      const r = await runOk(process.execPath, [script, entry], { cwd: dir });
      const rep = lastJson(r.stdout);
      assert(rep.backend === 'wasm' && rep.tfBackend === 'wasm', `backend ${rep.backend}/${rep.tfBackend}`);
      assert(rep.width === 32 && rep.height === 24 && rep.bytes === 32 * 24 * 4, `output ${rep.width}x${rep.height}`);
      assert(rep.leaked === 0, `${rep.leaked} tensors leaked`);
      assert(rep.errorCode === 'INVALID_OPTION', `bad input gave ${rep.errorCode}`);
      assert(rep.version === pkg.version, `VERSION ${rep.version}`);
      assert(!ALREADY_REGISTERED.test(r.stderr), `warnings:\n${r.stderr}`);
    });
  }

  for (const kind of ['timer', 'rejection']) {
    await check(`node app: the app's own uncaught ${kind === 'timer' ? 'throw in a timer' : 'promise rejection'} exits as plain Node (code 1, its stack, no tfjs frame)`, async () => {
      const r = await run(process.execPath, ['crash.mjs', 'node', kind], { cwd: dir });
      const rep = lastJson(r.stdout);
      assert(rep.listeners.uncaughtException === 0 && rep.listeners.unhandledRejection === 0, `process listeners left installed: ${JSON.stringify(rep.listeners)}`);
      assert(r.code === 1, `exit code ${r.code}\n${r.stderr}`);
      assert(r.stderr.includes('the app failed on its own') && r.stderr.includes('crash.mjs'), `stderr lacks the app's error and stack:\n${r.stderr}`);
      assert(!/tfjs|emscripten|neural-style-tfjs/.test(r.stderr), `stderr has library frames:\n${r.stderr}`);
    });
  }

  await check('node app: importing a browser entry without its backend names the package to install', async () => {
    const r = await run(process.execPath, ['--input-type=module', '-e', "await import('neural-style-tfjs/webgl')"], { cwd: dir });
    assert(r.code !== 0 && r.stderr.includes('@tensorflow/tfjs-backend-webgl'), `exit ${r.code}, stderr:\n${r.stderr}`);
    const t = await run(process.execPath, ['--input-type=module', '-e', "const { ready } = await import('neural-style-tfjs/node'); await ready('tensorflow').catch((e) => { console.log(e.code + ': ' + e.message); });"], { cwd: dir });
    assert(/^BACKEND: .*npm install @tensorflow\/tfjs-node/m.test(t.stdout), `ready('tensorflow') said:\n${t.stdout}${t.stderr}`);
  });

  await check('node app: esbuild --bundle --platform=node of neural-style-tfjs/node runs (sideEffects keeps the adapter)', async () => {
    const esbuild = await import(join(ROOT, 'node_modules/esbuild/lib/main.js'));
    const out = await esbuild.build({ entryPoints: [join(dir, 'bundle-node.mjs')], bundle: true, platform: 'node', outfile: join(dir, 'out/bundle.cjs'), logLevel: 'silent', metafile: true });
    assert(out.warnings.length === 0, `esbuild warnings: ${JSON.stringify(out.warnings.map((w) => w.text))}`);
    const r = await runOk(process.execPath, ['out/bundle.cjs'], { cwd: dir });
    const rep = lastJson(r.stdout);
    assert(rep.backend === 'wasm' && rep.width === 32, JSON.stringify(rep));
  });

  // (The CLI's plain stylize runs in the npx group; this run is the app's CLI.)
  await check('node app: the CLI (npx --no-install) stylizes at 32 px and exits quietly when its stdout closes (stylize --json | head -1)', async () => {
    makeImages(dir);
    const r = await run('bash', ['-c', 'set -o pipefail; npx --no-install neural-style-tfjs stylize content.png style.png -o piped.png --size 32 --iterations 2 --json | head -1'], { cwd: dir });
    assert(r.code === 0, `exit ${r.code}; stderr:\n${r.stderr}`);
    assert(r.stdout.trim().split('\n').length === 1 && typeof JSON.parse(r.stdout).event === 'string', `stdout: ${r.stdout}`);
    // With stdout gone the run finishes without it (its output written, no temp file left): stderr holds at most the
    // usual summary line, no error.
    assert(!/EPIPE|Error|^neural-style-tfjs: /m.test(r.stderr), `stderr has an error:\n${r.stderr}`);
    assert(existsSync(join(dir, 'piped.png')), `no piped.png; stderr:\n${r.stderr}`);
    assert(!readdirSync(dir).some((f) => f.endsWith('.tmp')), `a temp file was left: ${readdirSync(dir).join(', ')}`);
  });
}

async function npxGroup() {
  await check('fresh machine: npx <tarball> neural-style-tfjs --help and a 32 px stylize in an empty folder', async () => {
    const dir = join(tmp, 'npx-empty');
    mkdirSync(dir);
    makeImages(dir);
    // npx installs the package and its required peers into its own cache folder (keyed by the tarball's path,
    // new for every run), as on a machine that never had the package.
    const npx = (...a) => runOk('npx', ['--yes', '--prefer-offline', '--package', tarball, '--', 'neural-style-tfjs', ...a], { cwd: dir });
    const help = await npx('--help');
    assert(/Usage: neural-style-tfjs <command>/.test(help.stdout), help.stdout);
    await npx('stylize', 'content.png', 'style.png', '-o', 'out.png', '--size', '32', '--iterations', '1');
    assert(existsSync(join(dir, 'out.png')), 'no out.png');
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Browser: bundlers x entry points, run in Chromium

/** Entry points a browser app imports, with how the app starts the backend. */
const BROWSER_ENTRIES = {
  // Run without a WebGPU adapter, so WebGPU entries show their fallback; one more page checks WebGPU itself.
  browser: { ready: 'nst.ready()', backend: ['webgl'] },
  webgl: { ready: 'nst.ready()', backend: ['webgl'] },
  webgpu: { ready: 'nst.ready()', backend: ['webgl'] },
  wasm: { setup: "nst.setWasmPaths(new URL('/wasm/', location.href).href);", ready: 'nst.ready()', backend: ['wasm'] },
  // The core registers no backend: the app brings its own.
  core: { specifier: 'neural-style-tfjs', setup: "import '@tensorflow/tfjs-backend-webgl';", ready: "tf.setBackend('webgl').then(() => tf.getBackend())", backend: ['webgl'] },
};

function writeBrowserApp(dir, entry) {
  const e = BROWSER_ENTRIES[entry];
  const src = readFileSync(join(FIXTURES, 'browser-app.js'), 'utf8')
    .replace('__ENTRY__', e.specifier ?? `neural-style-tfjs/${entry}`)
    .replace('/* __SETUP__ */', e.setup ?? '')
    .replace('/* __READY__ */ null', e.ready);
  const file = join(dir, 'src', `${entry}.js`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, src);
  return file;
}

const pageHtml = (script, extraHead = '') => `<!doctype html><html><head><meta charset="utf-8">${extraHead}</head><body><script type="module" src="${script}"></script></body></html>`;

/**
 * Each bundler builds an app with its production settings and returns the warnings it printed. `quiet` adds the
 * settings docs/browser.md gives to silence its size warnings (the only ones it prints: its warning table, which
 * documentedWarnings reads and the suite compares with what a build with default settings prints).
 */
const BUNDLERS = {
  async esbuild(dir, entry, src, outDir) {
    const esbuild = await import(join(ROOT, 'node_modules/esbuild/lib/main.js'));
    const r = await esbuild.build({ entryPoints: [src], bundle: true, platform: 'browser', format: 'esm', minify: true, outfile: join(outDir, 'app.js'), absWorkingDir: dir, logLevel: 'silent' });
    writeFileSync(join(outDir, 'index.html'), pageHtml('./app.js'));
    return r.warnings.map((w) => w.text);
  },
  async vite(dir, entry, src, outDir, quiet) {
    const { build, createLogger } = await import(join(ROOT, 'node_modules/vite/dist/node/index.js'));
    const root = join(dir, `vite-${entry}`);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'index.html'), pageHtml(`/${entry}.js`));
    cpSync(src, join(root, `${entry}.js`));
    const warnings = [];
    // What Vite itself prints as a warning (e.g. the chunk-size one) goes through its logger; Rollup's through onwarn.
    const customLogger = createLogger('warn');
    customLogger.warn = customLogger.warnOnce = (msg) => warnings.push(msg);
    customLogger.info = () => {};
    await build({
      root,
      base: './',
      configFile: false,
      customLogger,
      build: { outDir, emptyOutDir: true, ...(quiet ? { chunkSizeWarningLimit: 10_000 } : {}), rollupOptions: { onwarn: (w) => warnings.push(w.message) } },
    });
    return warnings;
  },
  async webpack(dir, entry, src, outDir, quiet) {
    const webpack = (await import(join(ROOT, 'node_modules/webpack/lib/index.js'))).default;
    const stats = await new Promise((res, rej) =>
      webpack(
        {
          mode: 'production',
          context: dir,
          entry: src,
          target: 'web',
          output: { path: outDir, filename: 'app.js', publicPath: 'auto' },
          ...(quiet ? { performance: { hints: false } } : {}),
          experiments: { topLevelAwait: true },
        },
        (err, s) => (err ? rej(err) : res(s)),
      ),
    );
    const json = stats.toJson({ all: false, warnings: true, errors: true });
    if (json.errors.length) throw new Error(`webpack errors:\n${json.errors.map((e) => e.message).join('\n')}`);
    writeFileSync(join(outDir, 'index.html'), `<!doctype html><html><head><meta charset="utf-8"></head><body><script src="./app.js"></script></body></html>`);
    return json.warnings.map((w) => w.message);
  },
};

/**
 * docs/browser.md's warning table, as shipped in the installed package: bundler -> the warnings (a fragment of
 * each) its default production settings print. A bundler listed with "none" prints nothing.
 */
function documentedWarnings(docsFile) {
  const lines = readFileSync(docsFile, 'utf8').split('\n');
  const start = lines.findIndex((l) => /^\|\s*bundler\s*\|\s*warning/.test(l));
  assert(start >= 0, `${docsFile} has no warning table (| bundler | warning … |)`);
  const table = {};
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    const [bundler, warning] = l.split('|').slice(1).map((c) => c.trim());
    const key = bundler.split(/\s/)[0].toLowerCase();
    table[key] ??= [];
    const quoted = /"([^"]+)"/.exec(warning)?.[1];
    if (quoted) table[key].push(quoted);
  }
  return table;
}

/** Each warning printed names exactly one documented fragment, and each fragment is printed: '' when so. */
function compareWarnings(bundler, printed, documented) {
  const problems = [];
  for (const w of printed) if (documented.filter((d) => w.includes(d)).length !== 1) problems.push(`printed, not in docs/browser.md's table: ${w.slice(0, 300)}`);
  for (const d of documented) if (!printed.some((w) => w.includes(d))) problems.push(`in docs/browser.md's table, not printed: "${d}"`);
  return problems.length ? `${bundler} with default settings:\n${problems.join('\n')}` : '';
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.bin': 'application/octet-stream', '.map': 'application/json' };

/** A static server for `root` on 127.0.0.1 (a secure context, so WebGPU is offered). */
function serve(root) {
  return new Promise((res) => {
    const server = createServer((req, resp) => {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
      if (!file.startsWith(normalize(root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
        resp.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      resp.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
      resp.end(readFileSync(file));
    });
    server.listen(0, '127.0.0.1', () => res({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) }));
  });
}

/** Headless Chromium with WebGL on SwiftShader; `webgpu` also grants SwiftShader's WebGPU adapter. */
async function launchChromium({ webgpu = false } = {}) {
  assert(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const { chromium } = await import(join(ROOT, 'node_modules/playwright-core/index.mjs'));
  const gpu = webgpu ? ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'] : [];
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', ...gpu],
  });
}

/**
 * The package's weights on jsDelivr, as the browser adapters fetch them by default: a context route answers from
 * the installed package's weights/ (no network here). `cdnLog` collects the URLs asked for.
 */
const CDN_WEIGHTS = `https://cdn.jsdelivr.net/npm/neural-style-tfjs@${pkg.version}/weights/`;
let cdnWeightsDir;
const cdnLog = [];
async function routeCdn(context) {
  await context.route('https://cdn.jsdelivr.net/**', (route) => {
    const url = route.request().url();
    cdnLog.push(url);
    const file = url.startsWith(CDN_WEIGHTS) ? url.slice(CDN_WEIGHTS.length) : '';
    const path = cdnWeightsDir && /^[\w.-]+$/.test(file) ? join(cdnWeightsDir, file) : '';
    if (!path || !existsSync(path)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, body: readFileSync(path), headers: { 'access-control-allow-origin': '*', 'content-type': MIME[extname(file)] } });
  });
}

/** Opens `url` in a fresh context (empty cache, the CDN routed), waits for window.__report, returns it with the page's console errors. */
async function runPage(browser, url, timeout = 240_000) {
  const context = await browser.newContext();
  await routeCdn(context);
  const page = await context.newPage();
  const errors = [];
  const messages = []; // every console line, any level: "<type>: <text>" (a failed load: "<type>: <text> <url>")
  page.on('console', (m) => {
    messages.push(`${m.type()}: ${m.text()}${m.text().startsWith('Failed to load resource') ? ` ${m.location().url}` : ''}`);
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  // Done when the app reported, or as soon as the page threw (a broken bundle never reports).
  const crashed = new Promise((_, reject) => page.on('pageerror', (e) => reject(new Error(`the page threw: ${e}`))));
  crashed.catch(() => {});
  try {
    await page.goto(url);
    const done = page.waitForFunction(() => window.__report !== undefined, null, { timeout });
    try {
      await Promise.race([done, crashed]);
    } catch (e) {
      throw new Error(`${e.message}\nconsole errors:\n${errors.join('\n')}`);
    }
    const report = await page.evaluate(() => window.__report);
    return { report, errors, messages };
  } finally {
    await context.close();
  }
}

function checkReport({ report, errors }, expectBackends) {
  assert(report && !report.error, `the page failed: ${report?.error}\nconsole errors: ${errors.join('\n')}`);
  assert(expectBackends.includes(report.backend), `backend ${report.backend}, expected ${expectBackends.join(' or ')}`);
  assert(report.width === 32 && report.height === 32 && report.bytes === 32 * 32 * 4, `output ${report.width}x${report.height}`);
  assert(report.channels === undefined || report.channels === 128, `relu2_1 has ${report.channels} channels`);
  assert(report.leaked === 0, `${report.leaked} tensors leaked`);
  assert(report.defaultWeights === 'loaded', `default weights: ${report.defaultWeights}`);
  const noisy = errors.filter((e) => ALREADY_REGISTERED.test(e));
  assert(noisy.length === 0, `console: ${noisy.join('\n')}`);
  const ms = report.ms ? `; ready ${report.ms.ready} ms, weights ${report.ms.load} ms, ${report.channels ? 'features' : 'stylize'} ${report.ms.run} ms` : '';
  return `${report.backend}; default weights loaded from ${report.location}${ms}`;
}

async function browserGroup() {
  const dir = project('browser', { type: 'module' });
  await check('browser app: npm install <tarball> + the optional WebGL and WebGPU backends (one tfjs-core)', async () => {
    await npmInstall(dir, [tarball, `@tensorflow/tfjs-backend-webgl@${TF_NEWEST}`, `@tensorflow/tfjs-backend-webgpu@${TF_NEWEST}`]);
    const tf = copiesOf(dir, '@tensorflow/tfjs-core');
    assert(tf.length === 1, `expected one tfjs-core, found ${JSON.stringify(tf)}`);
  });
  // What every site serves: for /wasm, the .wasm binaries. No weights: the bundles load them from the (routed) CDN
  // with no configuration; the app's fallback to `weights: '/weights/'` finds nothing.
  const site = join(dir, 'site');
  cdnWeightsDir = join(dir, 'node_modules/neural-style-tfjs/weights');
  mkdirSync(join(site, 'wasm'), { recursive: true });
  for (const f of readdirSync(join(dir, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'))) {
    if (f.endsWith('.wasm')) cpSync(join(dir, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', f), join(site, 'wasm', f));
  }

  const documented = documentedWarnings(join(dir, 'node_modules/neural-style-tfjs/docs/browser.md'));
  const consoleOfBrowserEntry = []; // what the /browser pages (no WebGPU adapter) printed
  let browserPagesRan = 0;
  let browser;
  let server;
  try {
    browser = await launchChromium();
    server = await serve(site);
    for (const bundler of Object.keys(BUNDLERS).filter((b) => !onlyBundlers || onlyBundlers.includes(b))) {
      // /webgpu is the very file /browser is (two subpaths of one module): one bundler resolving the subpath is
      // enough; Vite and webpack would build the same bundle again (~35 s).
      const entries = Object.keys(BROWSER_ENTRIES).filter((e) => (!onlyEntries || onlyEntries.includes(e)) && (e !== 'webgpu' || bundler === 'esbuild'));
      for (const entry of entries) {
        // /browser with the bundler's default settings: exactly docs/browser.md's warnings; the others silenced: none.
        const defaults = entry === 'browser';
        const built = defaults ? "builds with exactly docs/browser.md's warnings (default settings)" : 'builds without warnings (size hints silenced as documented)';
        // A stylize (forward, backward, L-BFGS) in the esbuild bundles; the other bundlers' pages do one forward pass:
        // what differs between bundles is loading (modules, backend, weights), and the optimisation is the same code.
        const full = bundler === 'esbuild';
        const what = entry === 'webgpu' ? built : `${built} and ${full ? 'stylizes' : 'runs a forward pass'} in Chromium`;
        await check(`browser app: ${bundler} bundle of ${BROWSER_ENTRIES[entry].specifier ?? `neural-style-tfjs/${entry}`} ${what}`, async () => {
          const src = writeBrowserApp(dir, entry);
          const outDir = join(site, `${bundler}-${entry}`);
          const warnings = await BUNDLERS[bundler](dir, entry, src, outDir, !defaults);
          const differs = compareWarnings(bundler, warnings, defaults ? (documented[bundler] ?? []) : []);
          assert(!differs, differs);
          // /webgpu is the very module /browser is (one file, two subpaths): bundled and checked, run once.
          if (entry === 'webgpu') return 'built (runs as /browser)';
          const page = await runPage(browser, `${server.url}/${bundler}-${entry}/${full ? '' : '?features'}`);
          if (entry === 'browser') {
            browserPagesRan++;
            consoleOfBrowserEntry.push(...page.messages);
          }
          return checkReport(page, BROWSER_ENTRIES[entry].backend);
        });
      }
    }

    // Without a WebGPU adapter Chromium itself logs "No available adapters." when a page asks for one (as /browser
    // must, to choose WebGPU or WebGL): a blank page that only calls navigator.gpu.requestAdapter() logs it too. So
    // the suite asserts what the package controls: the /browser pages log nothing beyond that blank page, except
    // the documented 404 of the default weights' first place (beside the module: this site serves no weights/).
    await check("browser app: /browser without WebGPU logs nothing of its own (Chromium's own lines are a blank page's)", async () => {
      if (!browserPagesRan) return 'skipped: no /browser page ran (--bundlers/--entries)';
      writeFileSync(join(site, 'blank.html'), '<!doctype html><html><body><script type="module">window.__report = navigator.gpu?.requestAdapter().then((a) => ({ adapter: a !== null }), (e) => ({ error: String(e) })) ?? { adapter: false };</script></body></html>');
      const blank = await runPage(browser, `${server.url}/blank.html`);
      const chromiums = new Set(blank.messages);
      const probe = /^error: Failed to load resource: the server responded with a status of 404 \(Not Found\) http:\/\/127\.0\.0\.1:\d+\/(?:[\w.-]+\/)*weights\/manifest\.json$/;
      const ours = [...new Set(consoleOfBrowserEntry)].filter((m) => !chromiums.has(m) && !probe.test(m));
      assert(ours.length === 0, `the /browser pages logged, beyond a blank page's requestAdapter():\n${ours.join('\n')}`);
      return blank.messages.length ? `Chromium's own: ${blank.messages.join('; ')}` : 'nothing logged';
    });

    await check('browser app: with a WebGPU adapter (SwiftShader) the esbuild bundle of neural-style-tfjs/browser runs on WebGPU', async () => {
      const gpuBrowser = await launchChromium({ webgpu: true });
      try {
        assert(existsSync(join(site, 'esbuild-browser/index.html')), 'the esbuild bundle of /browser was not built');
        return checkReport(await runPage(gpuBrowser, `${server.url}/esbuild-browser/?features`), ['webgpu']);
      } finally {
        await gpuBrowser.close();
      }
    });

    await check('browser app: plain page with an import map, package files as published: default weights load', async () => {
      // @tensorflow/* as a CDN's ESM build would serve them (one file each, tfjs-core shared); the package itself
      // is served as installed, so its weights sit beside its dist/ files.
      const esbuild = await import(join(ROOT, 'node_modules/esbuild/lib/main.js'));
      const cdn = join(dir, 'cdn');
      const tfPkgs = ['tfjs-core', 'tfjs-backend-cpu', 'tfjs-backend-webgl'];
      for (const p of tfPkgs) {
        await esbuild.build({ entryPoints: [`@tensorflow/${p}`], bundle: true, format: 'esm', platform: 'browser', outfile: join(cdn, `${p}.js`), absWorkingDir: dir, external: ['@tensorflow/*'], logLevel: 'silent' });
      }
      const imports = Object.fromEntries(tfPkgs.map((p) => [`@tensorflow/${p}`, `/cdn/${p}.js`]));
      imports['@tensorflow/tfjs-backend-cpu/dist/shared'] = '/cdn/tfjs-backend-cpu.js';
      imports['neural-style-tfjs/webgl'] = '/node_modules/neural-style-tfjs/dist/webgl.js';
      writeFileSync(join(dir, 'importmap.html'), pageHtml('/importmap-app.js', `<script type="importmap">${JSON.stringify({ imports })}</script>`));
      writeFileSync(
        join(dir, 'importmap-app.js'),
        `import { ready, loadVgg19, stylize } from 'neural-style-tfjs/webgl';
window.__report = (async () => {
  const backend = await ready();
  const model = await loadVgg19();
  const style = { data: new Uint8Array(32 * 32 * 3).map((_, i) => (i * 37) % 256), width: 32, height: 32 };
  const r = await stylize({ model, content: style, style, size: 32, iterations: 1 });
  const px = await r.toPixels(); r.dispose(); model.dispose();
  return { backend, width: px.width, height: px.height, bytes: px.data.length, leaked: 0, defaultWeights: 'loaded', location: model.location };
})().catch((e) => ({ error: String(e && e.stack || e) }));`,
      );
      const s = await serve(dir);
      try {
        const res = await runPage(browser, `${s.url}/importmap.html`);
        checkReport(res, ['webgl']);
        assert(res.report.location.endsWith('/node_modules/neural-style-tfjs/weights/'), `weights from ${res.report.location}`);
      } finally {
        await s.close();
      }
    });

    await check('browser app: Vite dev server: the default weights load with no configuration (from the pinned CDN)', async () => {
      const { createServer: createVite } = await import(join(ROOT, 'node_modules/vite/dist/node/index.js'));
      const root = join(dir, 'vite-dev');
      mkdirSync(root, { recursive: true });
      writeFileSync(join(root, 'index.html'), pageHtml('/main.js'));
      writeFileSync(
        join(root, 'main.js'),
        `import { ready, loadVgg19 } from 'neural-style-tfjs/webgl';
window.__report = ready().then(() => loadVgg19()).then((m) => { const r = { defaultWeights: 'loaded', location: m.location }; m.dispose(); return r; }, (e) => ({ defaultWeights: e.code + ': ' + e.message }));`,
      );
      const vite = await createVite({ root, configFile: false, logLevel: 'silent', server: { host: '127.0.0.1', port: 0 }, cacheDir: join(root, 'node_modules/.vite') });
      await vite.listen();
      try {
        const { report, errors } = await runPage(browser, `http://127.0.0.1:${vite.httpServer.address().port}/`);
        assert(report.defaultWeights === 'loaded' && report.location === CDN_WEIGHTS, `default weights: ${report.defaultWeights} from ${report.location}\n${errors.join('\n')}`);
      } finally {
        await vite.close();
      }
    });

    await check('browser app: no bundle holds a path of the build machine (the temp folder the app was built in)', async () => {
      const leaks = [];
      for (const d of readdirSync(site).filter((d) => /^(esbuild|vite|webpack)-/.test(d))) {
        for (const f of readdirSync(join(site, d), { recursive: true }).filter((f) => /\.(m?js)$/.test(f))) {
          const text = readFileSync(join(site, d, f), 'utf8');
          if (text.includes(tmp)) leaks.push(`${d}/${f}`);
        }
      }
      assert(leaks.length === 0, `build-machine paths in ${leaks.join(', ')}`);
    });
  } finally {
    await browser?.close();
    await server?.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// An app with its own, older tfjs-core

async function ownTfGroup() {
  const dir = project('own-tf', { type: 'module' });
  await check(`own-tf app: has tfjs-core ${TF_LOWEST} (+ cpu, wasm), installs the tarball: one tfjs-core, still ${TF_LOWEST}`, async () => {
    await npmInstall(dir, [`@tensorflow/tfjs-core@${TF_LOWEST}`, `@tensorflow/tfjs-backend-cpu@${TF_LOWEST}`, `@tensorflow/tfjs-backend-wasm@${TF_LOWEST}`, '@types/node@20', `typescript@${TS_VERSIONS.newest}`]);
    // As the README says: name the app's TF.js version for the peers in the same install (else npm picks the
    // newest backends, whose exact tfjs-core peer conflicts with the app's).
    await npmInstall(dir, [tarball, ...['core', 'backend-cpu', 'backend-wasm'].map((p) => `@tensorflow/tfjs-${p}@${TF_LOWEST}`)]);
    const tf = copiesOf(dir, '@tensorflow/tfjs-core');
    assert(tf.length === 1 && tf[0].version === TF_LOWEST, `tfjs-core copies: ${JSON.stringify(tf)}`);
    for (const p of ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm']) {
      const c = copiesOf(dir, p);
      assert(c.length === 1 && c[0].version === TF_LOWEST, `${p} copies: ${JSON.stringify(c)}`);
    }
  });
  cpSync(join(FIXTURES, 'stylize-node.mjs'), join(dir, 'stylize-node.mjs'));
  await check(`own-tf app: stylize at 32 px with its own tensor on tfjs ${TF_LOWEST}, no "already registered" warnings`, async () => {
    const r = await runOk(process.execPath, ['stylize-node.mjs', 'node'], { cwd: dir });
    const rep = lastJson(r.stdout);
    assert(rep.backend === 'wasm' && rep.width === 32 && rep.leaked === 0, JSON.stringify(rep));
    assert(!ALREADY_REGISTERED.test(r.stderr), `warnings:\n${r.stderr}`);
    assert(!/WASM threads unavailable/.test(r.stderr), `threads fell back:\n${r.stderr}`);
  });
  await check(`own-tf app: tsc accepts its own Tensor3D as stylize() content (tfjs-core ${TF_LOWEST}, strict, skipLibCheck false)`, async () => {
    writeFileSync(
      join(dir, 'app.ts'),
      `import * as tf from '@tensorflow/tfjs-core';
import { stylize } from 'neural-style-tfjs/node';
const content: tf.Tensor3D = tf.zeros([32, 32, 3]);
export const result = stylize({ content, style: content, size: 32, iterations: 1 }).then((r) => r.toPixels());
`,
    );
    // What TF.js's own declarations give without this package under the same settings (the newest TypeScript finds
    // errors in tfjs-core 4.15's .d.ts) is TF.js's, not this package's.
    writeFileSync(join(dir, 'tf-only.ts'), "import * as tf from '@tensorflow/tfjs-core';\nexport const t: tf.Tensor3D = tf.zeros([1, 1, 3]);\n");
    const tsc = join(dir, 'node_modules/typescript/bin/tsc');
    const baseline = new Set(await tscErrors(dir, tsc, 'node16', ['tf-only.ts']));
    const errors = (await tscErrors(dir, tsc, 'node16', ['app.ts'])).filter((e) => !baseline.has(e));
    assert(errors.length === 0, `tsc errors beyond TF.js's own:\n${errors.join('\n')}`);
    return baseline.size ? `TF.js's own declarations give ${baseline.size} error(s) here without this package` : '';
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Types with TypeScript 5.0 and the newest 5.x

/**
 * Runs tsc (strict, skipLibCheck false, the app's default @types) on `files`; resolves to its error lines. The
 * module setting follows the resolution (`bundler` goes with `esnext`).
 */
async function tscErrors(dir, tsc, resolution, files, dom = true) {
  const cfg = `tsconfig.${resolution}.${dom ? 'dom' : 'nodom'}.${files.join('-').replace(/\W/g, '_')}.json`;
  const module = resolution === 'bundler' ? 'esnext' : resolution === 'node10' ? 'commonjs' : resolution;
  // A Node project without the DOM lib lists its types (else every @types package in node_modules is loaded).
  const env = dom ? { lib: ['es2022', 'dom'] } : { lib: ['es2022'], types: ['node'] };
  writeFileSync(join(dir, cfg), JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module, moduleResolution: resolution, target: 'es2022', ...env }, files }));
  const r = await run(process.execPath, [tsc, '-p', cfg], { cwd: dir });
  const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
  if (r.code !== 0 && errors.length === 0) throw new Error(`tsc failed without type errors:\n${r.stdout}${r.stderr}`);
  return errors;
}

/**
 * The types matrix (state it in the README's Install section when it changes): TypeScript 5.0 and the newest
 * release, strict, skipLibCheck false; moduleResolution node16, nodenext (from TypeScript 5.8, before which it is
 * node16) and bundler with the DOM lib; node16 and nodenext without it (a Node app: every entry point imported); node10 (CommonJS, through
 * `typesVersions`) on the versions that still have it (TypeScript 7 removed it).
 */
async function typesGroup() {
  const dir = project('types', { type: 'module' });
  const tsNames = Object.keys(TS_VERSIONS).filter((n) => !onlyTs || onlyTs.includes(n));
  await check('types app: install the tarball, all backends, @types/node and TypeScript ' + Object.values(TS_VERSIONS).join(' + '), async () => {
    await npmInstall(dir, [tarball, `@tensorflow/tfjs-backend-webgl@${TF_NEWEST}`, `@tensorflow/tfjs-backend-webgpu@${TF_NEWEST}`, '@types/node@20', ...tsNames.map((n) => `ts-${n.replace('.', '_')}@npm:typescript@${TS_VERSIONS[n]}`)]);
  });
  cpSync(join(FIXTURES, 'usage.ts'), join(dir, 'usage.ts'));
  writeFileSync(join(dir, 'usage-cjs.cts'), "import nst = require('neural-style-tfjs/node');\nexport const ready: () => Promise<string> = nst.ready;\nexport const version: string = nst.VERSION;\n");
  // Every entry point, from a Node app without the DOM lib (and from CommonJS under node10).
  const entries = ['', '/node', '/core', '/experiments', '/browser', '/webgl', '/webgpu', '/wasm'];
  const entriesTs = `${entries.map((e, i) => `import * as e${i} from 'neural-style-tfjs${e}';`).join('\n')}\nexport const all = [${entries.map((_, i) => `e${i}`).join(', ')}];\nexport const version: string = e1.VERSION;\nexport const pixels = (r: e1.StylizeResult): Promise<e1.RgbaImage> => r.toPixels();\n`;
  writeFileSync(join(dir, 'entries.ts'), entriesTs);
  writeFileSync(join(dir, 'entries-cjs.cts'), entriesTs);
  // The same TF.js imports without this package: whatever errors TF.js's own declarations give under a setting
  // (e.g. @webgpu/types needs VideoFrame, which TS 5.0's DOM lib lacks) are TF.js's, not this package's.
  writeFileSync(join(dir, 'tf-only.ts'), "import * as tf from '@tensorflow/tfjs-core';\nimport '@tensorflow/tfjs-backend-wasm';\nimport '@tensorflow/tfjs-backend-webgl';\nimport '@tensorflow/tfjs-backend-webgpu';\nexport const t: tf.Tensor3D = tf.zeros([1, 1, 3]);\n");
  for (const n of tsNames) {
    const version = JSON.parse(readFileSync(join(dir, `node_modules/ts-${n.replace('.', '_')}/package.json`), 'utf8')).version;
    const tsc = join(dir, `node_modules/ts-${n.replace('.', '_')}/bin/tsc`);
    // Before TypeScript 5.8 `nodenext` resolves and emits exactly as `node16` (5.8 added require(esm) to it): on
    // those versions checking both would run the same check twice.
    const [major, minor] = version.split('.').map(Number);
    const node = major > 5 || (major === 5 && minor >= 8) ? ['node16', 'nodenext'] : ['node16'];
    const settings = [
      ...[...node, 'bundler'].map((resolution) => ({ resolution, dom: true, files: resolution === 'bundler' ? ['usage.ts'] : ['usage.ts', 'usage-cjs.cts'] })),
      ...node.map((resolution) => ({ resolution, dom: false, files: ['entries.ts', 'entries-cjs.cts'] })),
      ...(Number(version.split('.')[0]) < 7 ? [{ resolution: 'node10', dom: false, files: ['entries.ts'] }] : []),
    ];
    for (const { resolution, dom, files } of settings) {
      await check(`types app: tsc ${version}, moduleResolution ${resolution}, ${dom ? 'DOM lib' : 'no DOM lib'}, strict, skipLibCheck false: no error from this package or the usage`, async () => {
        const baseline = new Set(await tscErrors(dir, tsc, resolution, ['tf-only.ts'], dom));
        const errors = await tscErrors(dir, tsc, resolution, files, dom);
        const ours = errors.filter((e) => !baseline.has(e));
        assert(ours.length === 0, `tsc errors beyond TF.js's own:\n${ours.join('\n')}`);
        return baseline.size ? `TF.js's own declarations give ${baseline.size} error(s) here without this package, e.g. ${[...baseline][0].slice(0, 140)}` : '';
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

const GROUPS = { pack: packGroup, node: nodeGroup, npx: npxGroup, browser: browserGroup, 'own-tf': ownTfGroup, types: typesGroup };

try {
  console.log(`consumer suite: neural-style-tfjs ${pkg.version}, tfjs ${TF_LOWEST} (lowest) and ${TF_NEWEST} (newest), in ${tmp}`);
  await GROUPS.pack();
  for (const [name, group] of Object.entries(GROUPS)) {
    if (name === 'pack' || (only && !only.includes(name))) continue;
    await group();
  }
} catch (e) {
  results.push({ name: 'suite', ok: false });
  console.log(`FAIL suite aborted: ${e?.stack ?? e}`);
} finally {
  if (!keep) rmSync(tmp, { recursive: true, force: true });
}
const failed = results.filter((r) => !r.ok);
console.log(`consumer suite: ${results.length - failed.length}/${results.length} checks passed in ${secs(t0)}${failed.length ? `; FAILED: ${failed.map((f) => f.name).join('; ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
