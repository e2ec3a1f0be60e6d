/**
 * The Settings card's style statistic on the example page (examples/web) in headless Chromium on WebGL
 * (SwiftShader): the menu offers the library's statistics with a hint for the chosen one; the same 32 px,
 * 2-iteration run made with Gram and with `histogram` (a sorting statistic, the page's costliest path) gives
 * different results, and the page shows and records which statistic made the result. Kept cheap for CI: one page
 * load, two tiny runs. Run it with `npm run test:browser` (which builds first).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseTestPictures, errorText, type ExamplePage, fillSettings, loadExamplePage, lossCurve, makeTestPictures, meanAbsDiff, openExamplePage, resultPixels, tid, waitState } from './page-driver.js';

const RUN = { size: 32, iterations: 2, previewEvery: 1 };
const STATISTICS = ['gram', 'shifted-gram', 'mean-std', 'covariance', 'histogram', 'sliced-wasserstein'];

/** Runs the chosen settings to the end and returns what the page shows of the result. */
async function runWith(page: Page, statistic: string) {
  await page.selectOption(tid('style-statistic-select'), statistic);
  await fillSettings(page, RUN);
  await page.click(tid('stylize-button'));
  await waitState(page, ['done', 'error', 'cancelled'], 600_000);
  expect(await errorText(page)).toBe('');
  expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
  return {
    pixels: await resultPixels(page),
    losses: await lossCurve(page),
    recorded: await page.$eval(tid('result-canvas'), (c) => (c as HTMLElement).dataset.styleStatistic),
    shown: await page.$eval('[data-stat="statistic"]', (e) => e.textContent),
    progress: await page.$eval(tid('progress-text'), (e) => e.textContent ?? ''),
  };
}

describe.skipIf(!process.env.NST_BROWSER_E2E)('example page: style statistic (WebGL)', () => {
  let site: ExamplePage;
  let page: Page;
  const timings: Record<string, number> = {};
  const t0 = Date.now();

  beforeAll(async () => {
    site = await openExamplePage();
    page = site.page;
  });

  afterAll(async () => {
    await site?.close();
    timings.totalMs = Date.now() - t0;
    console.log('statistic page timings', JSON.stringify(timings));
  });

  it('offers every statistic with a hint, and a run with histogram differs from Gram and says so', async () => {
    await loadExamplePage(page, site.url);
    timings.loadMs = Date.now() - t0;
    // The menu: the library's six statistics, Gram (the default) first; the hint follows the choice.
    expect(await page.$$eval(`${tid('style-statistic-select')} option`, (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(STATISTICS);
    expect(await page.inputValue(tid('style-statistic-select'))).toBe('gram');
    const gramHint = await page.textContent(tid('style-statistic-hint'));
    expect(gramHint).toMatch(/correlations/);
    await page.selectOption(tid('style-statistic-select'), 'mean-std');
    expect(await page.textContent(tid('style-statistic-hint'))).toMatch(/mean and spread/);

    // The layer balance switch moves the style weight between the library's two defaults (styleWeight's row:
    // 300 with normalizeGradients, else 100) until the user types a weight.
    const styleWeight = () => page.inputValue(tid('style-weight-input'));
    expect(await styleWeight()).toBe('100');
    await page.check(tid('normalize-gradients'));
    expect(await styleWeight()).toBe('300');
    await page.uncheck(tid('normalize-gradients'));
    expect(await styleWeight()).toBe('100');

    await chooseTestPictures(page, await makeTestPictures(page));
    let t = Date.now();
    const gram = await runWith(page, 'gram');
    timings.gramMs = Date.now() - t;
    t = Date.now();
    const histogram = await runWith(page, 'histogram');
    timings.histogramMs = Date.now() - t;

    for (const r of [gram, histogram]) {
      expect(r.losses.length).toBe(RUN.iterations);
      expect(r.losses.every(Number.isFinite)).toBe(true);
      expect(Math.max(r.pixels.width, r.pixels.height)).toBe(RUN.size);
    }
    expect(gram.recorded).toBe('gram');
    expect(histogram.recorded).toBe('histogram');
    expect(gram.shown).toBe('Gram (Gatys)');
    expect(histogram.shown).toBe('histogram');
    expect(histogram.progress).toMatch(/^Done: 2 iterations in [\d.]+ s \(histogram\)\./);
    // The statistics' losses have different scales (docs/style-statistics.md), and the images differ.
    expect(Math.abs(histogram.losses[0] - gram.losses[0]) / gram.losses[0]).toBeGreaterThan(0.01);
    const diff = meanAbsDiff(histogram.pixels.data, gram.pixels.data);
    timings.meanAbsDiff = diff;
    expect(diff).toBeGreaterThan(0.5);
  });
});
