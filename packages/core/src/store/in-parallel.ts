/** Runs small I/O calls with a bounded number in flight, so libuv's pool overlaps them. */
export async function inParallel(calls: Array<() => Promise<unknown>>, limit = 32): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < calls.length) await calls[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, calls.length) }, lane));
}
