import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's Chromium unless CHROMIUM_PATH says otherwise. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const COMMON = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** WebGL on SwiftShader (ANGLE's software renderer): no GPU needed. */
export const CHROMIUM_WEBGL_ARGS = [...COMMON, '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/**
 * WebGL on SwiftShader and WebGPU on Dawn's SwiftShader (Vulkan) adapter. WebGPU needs a secure context: serve the
 * page from 127.0.0.1 (about:blank has no navigator.gpu).
 */
export const CHROMIUM_GPU_ARGS = [...COMMON, '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

/** Chromium's fake camera (a moving test pattern) for getUserMedia, allowed without a permission prompt. */
export const FAKE_CAMERA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

/** Launches headless Chromium through playwright-core; says what to install when it is missing. */
export async function launchChromium(args: string[]): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath, args });
}
