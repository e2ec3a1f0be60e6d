/**
 * The Settings card's style-statistic menu and its one-line hint: what a style term matches (the library's
 * `styleStatistic`; docs/style-statistics.md). The menu is filled from {@link STATISTIC_HINTS}, which must name
 * every statistic the library has (the type checks it), so the page offers exactly the library's choices.
 */
import type { StyleStatistic } from 'neural-style-tfjs';

/** Each statistic's menu label and the hint shown under the menu when it is chosen. */
export const STATISTIC_HINTS: Record<StyleStatistic, { label: string; hint: string }> = {
  gram: { label: 'Gram (Gatys)', hint: 'Matches how often channels fire together (their correlations): the classic Gatys term.' },
  'shifted-gram': { label: 'shifted Gram', hint: 'The same correlations taken around each channel’s mean (the covariance), so mean activity does not dominate.' },
  'mean-std': { label: 'mean / std', hint: 'Only each channel’s mean and spread (the statistics AdaIN matches): the cheapest term.' },
  covariance: { label: 'mean + covariance', hint: 'Each channel’s mean plus the covariance between channels: a Gaussian fit of the style’s features.' },
  histogram: { label: 'histogram', hint: 'Each channel’s whole distribution, sorted (Risser et al.): keeps contrast; slower, and the image is never tiled.' },
  'sliced-wasserstein': { label: 'sliced Wasserstein', hint: 'The whole distribution of feature vectors, along random directions (Heitz et al.): slower, never tiled.' },
};

/** Fills the menu (Gram first, the default) and keeps the hint under it in step with the choice. */
export function wireStatisticMenu(select: HTMLSelectElement, hint: HTMLElement): void {
  for (const [value, { label }] of Object.entries(STATISTIC_HINTS)) select.add(new Option(label, value));
  const show = () => {
    hint.textContent = STATISTIC_HINTS[select.value as StyleStatistic]?.hint ?? '';
  };
  select.addEventListener('change', show);
  show();
}
