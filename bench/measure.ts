/** Runs `work` repeatedly for about `ms` milliseconds (after a warm-up) and returns operations per second. */
export async function opsPerSecond(work: () => unknown | Promise<unknown>, ms = 1500): Promise<number> {
  const warmUntil = performance.now() + ms / 5;
  while (performance.now() < warmUntil) await work();
  let ops = 0;
  const started = performance.now();
  const until = started + ms;
  while (performance.now() < until) {
    await work();
    ops += 1;
  }
  return ops / ((performance.now() - started) / 1000);
}
