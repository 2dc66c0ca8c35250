import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The service's Prometheus metrics, on a registry of its own (two services in one process never mix). */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly rpoSeconds: Gauge<'group'>;
  readonly points = new Counter({
    name: 'drkit_points_total',
    help: 'Recovery points made, by group and achieved consistency',
    labelNames: ['group', 'consistency'] as const,
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'drkit_run_failures_total',
    help: 'Failed runs, by group and error code',
    labelNames: ['group', 'code'] as const,
    registers: [this.registry],
  });
  readonly bytes = new Counter({
    name: 'drkit_bytes_replicated_total',
    help: 'Bytes written into target stores',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly durations = new Histogram({
    name: 'drkit_run_duration_seconds',
    help: 'Run wall time, successful or not',
    labelNames: ['group'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  readonly attention: Gauge<'group'>;

  constructor(groups: () => Array<{ name: string; rpoSeconds: number | undefined; attention: boolean }>) {
    // Read at scrape time: the RPO grows between runs, not only when something happens.
    this.rpoSeconds = new Gauge({
      name: 'drkit_group_rpo_seconds',
      help: 'Age of the newest recovery point of each group (absent before its first point)',
      labelNames: ['group'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const g of groups()) if (g.rpoSeconds !== undefined) this.set({ group: g.name }, g.rpoSeconds);
      },
    });
    this.attention = new Gauge({
      name: 'drkit_group_needs_attention',
      help: '1 while a group waits for an operator',
      labelNames: ['group'] as const,
      registers: [this.registry],
      collect() {
        for (const g of groups()) this.set({ group: g.name }, g.attention ? 1 : 0);
      },
    });
  }

  /** `/metrics` and `/healthz` (200 while the service runs; its body says which groups need attention). */
  async listen(host: string, port: number, health: () => Record<string, unknown>): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET') {
        res.writeHead(405).end();
        return;
      }
      if (req.url === '/metrics') {
        this.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
          (error: Error) => res.writeHead(500).end(error.message),
        );
      } else if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(health()));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  }
}
