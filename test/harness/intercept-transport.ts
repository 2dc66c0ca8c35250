import type { HttpRequest, HttpResponse, HttpTransport } from '@drkit/http';

/**
 * Lets a test act just before a request goes out (end a session, count calls) — the
 * request itself still goes to the real counterpart.
 */
export function interceptTransport(
  inner: HttpTransport,
  before: (request: HttpRequest, index: number) => Promise<void> | void,
): HttpTransport & { calls: string[] } {
  const calls: string[] = [];
  return {
    origin: inner.origin,
    calls,
    async request(request: HttpRequest): Promise<HttpResponse> {
      const method = /<soapenv:Body><(\w+)/.exec(String(request.body ?? ''))?.[1] ?? request.method;
      calls.push(method);
      await before(request, calls.length - 1);
      return inner.request(request);
    },
    close: () => inner.close(),
  };
}

/** The SOAP method a request calls. */
export function soapMethod(request: HttpRequest): string | undefined {
  return /<soapenv:Body><(\w+)/.exec(String(request.body ?? ''))?.[1];
}
