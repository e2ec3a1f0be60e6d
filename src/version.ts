/** The library version (kept in step with package.json by the build). */
export const VERSION: string = typeof __NST_VERSION__ === 'string' ? __NST_VERSION__ : '0.0.0-dev';
declare const __NST_VERSION__: string | undefined;
