/**
 * Settles as `work` does, unless `ms` pass first: then rejects with `onTimeout()`. The timer never
 * outlives the race. (A timed-out `work` keeps running; callers use this to bound waiting, not work.)
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
