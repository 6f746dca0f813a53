// Runs autocannon in its own process (forked with IPC), so the load generator does not share
// the event loop or the core of the server it measures. Plain JavaScript: nothing to compile.
// Not a worker thread: autocannon treats any non-main thread as one of its own workers.
import autocannon from 'autocannon';

process.once('message', async ({ url, path, bodies, connections }) => {
  let next = 0;
  const result = await autocannon({
    url,
    connections,
    amount: bodies.length,
    requests: [
      {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
      },
    ],
  });
  process.send(
    {
      // total over wall time: autocannon's per-second average is coarse for runs of a few seconds
      requestsPerSecond: result.requests.total / ((result.finish - result.start) / 1000),
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      total: result.requests.total,
    },
    () => process.exit(0),
  );
});
