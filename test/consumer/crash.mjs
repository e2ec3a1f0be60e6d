// After importing an adapter and starting its backend, the app's own uncaught error must end the process as
// plain Node would: exit code 1, the app's stack, no listener of ours or of emscripten in between.
// Usage: node crash.mjs <entry> <timer|rejection>
const entry = process.argv[2] ?? 'node';
const kind = process.argv[3] ?? 'timer';
const { ready } = await import(`neural-style-tfjs/${entry}`);
await ready();
const listeners = { uncaughtException: process.listenerCount('uncaughtException'), unhandledRejection: process.listenerCount('unhandledRejection') };
console.log(JSON.stringify({ listeners }));
function appCode() {
  throw new Error('the app failed on its own');
}
if (kind === 'timer') setTimeout(appCode, 10);
else setTimeout(() => Promise.reject(new Error('the app failed on its own')), 10);
