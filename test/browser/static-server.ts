import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

export interface StaticServer {
  url: string;
  /** Requests answered so far: path and status (200, 304, 404). */
  log: { path: string; status: number }[];
  close(): Promise<void>;
}

/**
 * Serves `root` on 127.0.0.1 (a free port) the way a static host does: ETag + Last-Modified validators and
 * `Cache-Control: no-cache`, so a browser keeps what it fetched and revalidates it (304) on the next load.
 * `root` is one folder, or folders by URL prefix (`{ '/': site, '/golden/': fixtures }`; the longest prefix wins).
 */
export function serveStatic(root: string | Record<string, string>): Promise<StaticServer> {
  const mounts = Object.entries(typeof root === 'string' ? { '/': root } : root).sort(([a], [b]) => b.length - a.length);
  const log: StaticServer['log'] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const done = (status: number) => log.push({ path, status });
    const mount = mounts.find(([prefix]) => path.startsWith(prefix));
    if (!mount) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return done(404);
    }
    const [prefix, dir] = mount;
    const rel = path.slice(prefix.length - 1);
    const file = normalize(join(dir, rel.endsWith('/') ? `${rel}index.html` : rel));
    if (!file.startsWith(normalize(dir + sep)) && file !== normalize(dir)) {
      res.writeHead(403).end();
      return done(403);
    }
    let st;
    try {
      st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return done(404);
    }
    const etag = `"${createHash('sha1').update(`${file}:${st.size}:${st.mtimeMs}`).digest('hex').slice(0, 16)}"`;
    const headers = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      etag,
      'last-modified': st.mtime.toUTCString(),
      'cache-control': 'no-cache',
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return done(304);
    }
    res.writeHead(200, { ...headers, 'content-length': String(st.size) });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    done(200);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${addr.port}/`,
        log,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
