/**
 * FLOPs of one forward + input-gradient pass of VGG-19's convs up to conv5_1 (the deepest conv the default
 * loss reads, at relu5_1): 2·H·W·Cin·Cout·9 per conv forward, the same again for its input gradient.
 */
export function convFlops(h, w) {
  const layers = [[3, 64], [64, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 256], [256, 256], [256, 512], [512, 512], [512, 512], [512, 512], [512, 512]];
  const blockOf = [1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5];
  let f = 0;
  layers.forEach(([cin, cout], i) => {
    const s = 2 ** (blockOf[i] - 1);
    f += 2 * Math.floor(h / s) * Math.floor(w / s) * cin * cout * 9;
  });
  return 2 * f;
}
