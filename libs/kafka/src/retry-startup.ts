/**
 * Retries a start-up call to Kafka while the broker is still settling (a topic
 * just created has no leader yet; two processes raced to create it). Gives up
 * after `deadlineMs` with the last error.
 */
export async function retryWhileSettling<T>(what: string, call: () => Promise<T>, deadlineMs = 30_000): Promise<T> {
  const giveUpAt = Date.now() + deadlineMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() + delay > giveUpAt) {
        throw new Error(`${what} failed for ${deadlineMs / 1000}s: ${(error as Error).message}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
