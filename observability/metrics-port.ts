import { createServer } from 'node:net';

/**
 * Fails with a message naming METRICS_PORT when the worker's Prometheus port is taken (typically by
 * another worker on the same host). We do not silently pick another port: a scrape configuration
 * names ports, and a worker whose metrics moved somewhere unannounced would go unwatched.
 */
export async function assertMetricsPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `METRICS_PORT ${port} is already in use (another worker on this host?); ` +
                'start this worker with a free METRICS_PORT, e.g. METRICS_PORT=' +
                `${port + 1} npm run worker, or use WORKERS=<n> npm start to run several`,
            )
          : new Error(`METRICS_PORT ${port} cannot be bound: ${err.message}`),
      ),
    );
    server.listen(port, '0.0.0.0', () => server.close(() => resolve()));
  });
}
