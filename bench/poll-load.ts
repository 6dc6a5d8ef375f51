import autocannon from 'autocannon';

/** 50 clients, each with one request outstanding, as many polling browsers would be. */
const CONNECTIONS = 50;

/**
 * Requests per second that `url` answers under a fixed, bounded load: the
 * run stops by itself after `seconds`. Any answer but 2xx, or any connection
 * error, fails the run: a fast wrong answer is not a figure.
 */
export async function requestsPerSecond(url: string, headers: Record<string, string>, seconds: number): Promise<number> {
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors in ${result.requests.total} requests`);
  }
  return result.requests.total / result.duration;
}
