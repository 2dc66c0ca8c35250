import { createHmac } from 'node:crypto';
import { DrkitError, withRetry } from '@drkit/core';
import type { ServiceLog } from './service-log.js';

/** What the service tells people about, as the webhook's JSON body. */
export interface AlertEvent {
  event: 'rpo-breached' | 'rpo-restored' | 'needs-attention' | 'cleanup-failed';
  group: string;
  at: string;
  /** Age of the newest point, seconds (RPO events). */
  rpoSeconds?: number;
  thresholdSeconds?: number;
  reason?: string;
}

export interface AlertSink {
  send(event: AlertEvent): void;
  /** Waits for deliveries under way, at most `ms`. */
  drain(ms: number): Promise<void>;
}

/**
 * HTTP POST of each event as JSON, retried with back-off on 5xx/429 and dropped connections
 * (at most 6 tries in 10 minutes). With a shared secret, `X-Drkit-Signature: sha256=<hex>` is
 * the HMAC-SHA256 of `<X-Drkit-Timestamp>.<body>`, so a receiver can check both the sender
 * and that the event is fresh. TLS is verified (Node's fetch, the system's CAs).
 */
export function webhookAlerts(options: {
  url: string;
  secret?: string;
  log: ServiceLog;
  fetch?: typeof fetch;
  retry?: { minDelayMs: number };
}): AlertSink {
  const pending = new Set<Promise<void>>();
  const post = async (event: AlertEvent) => {
    const body = JSON.stringify(event);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-drkit-timestamp': timestamp };
    if (options.secret)
      headers['x-drkit-signature'] =
        `sha256=${createHmac('sha256', options.secret).update(`${timestamp}.${body}`).digest('hex')}`;
    await withRetry(
      async () => {
        let response: Response;
        try {
          response = await (options.fetch ?? fetch)(options.url, {
            method: 'POST',
            headers,
            body,
            signal: AbortSignal.timeout(10_000),
          });
        } catch (error) {
          throw new DrkitError('unreachable', `webhook: ${(error as Error).message}`, { cause: error });
        }
        await response.body?.cancel();
        if (response.ok) return;
        const retryable = response.status >= 500 || response.status === 429;
        throw new DrkitError(retryable ? 'unreachable' : 'bad-input', `webhook answered ${response.status}`, {
          fault: String(response.status),
        });
      },
      {
        attempts: 6,
        budgetMs: 10 * 60_000,
        minDelayMs: options.retry?.minDelayMs ?? 1000,
        onRetry: (error, attempt) =>
          options.log('warn', 'webhook-retry', {
            alert: event.event,
            group: event.group,
            attempt,
            error: error.message,
          }),
      },
    );
  };
  return {
    send(event) {
      const delivery = post(event).then(
        () => options.log('info', 'webhook-delivered', { alert: event.event, group: event.group }),
        (error: Error) =>
          options.log('error', 'webhook-failed', { alert: event.event, group: event.group, error: error.message }),
      );
      pending.add(delivery);
      void delivery.finally(() => pending.delete(delivery));
    },
    async drain(ms) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(pending),
        new Promise((r) => {
          timer = setTimeout(r, ms);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
