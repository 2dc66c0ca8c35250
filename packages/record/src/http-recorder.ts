import type { HttpRequest, HttpResponse, HttpTransport } from '@drkit/http';
import { CassetteWriter, FIXTURE_FORMAT, writeManifest, type FixtureManifest } from './fixture.js';
import { encodeBody, keepHeaders, type RecordedHttpRequest, type RecordedHttpResponse } from './http-exchange.js';
import type { Redactor } from './redactor.js';
import { VolatileTokens } from './volatile-tokens.js';

export interface HttpRecordOptions {
  /**
   * Replace values that differ on every run (UUIDs, epoch-ms stamps) by stand-ins, so a
   * flow that names things with random tags replays. The manifest says so, and the
   * replayer binds the stand-ins to the live values. Off for vSphere, whose fixtures must
   * show morefs and paging tokens as the server sent them.
   */
  volatileTokens?: boolean;
}

export interface HttpRecorder extends HttpTransport {
  /** Writes the manifest; call once the session is over. */
  finish(
    manifest: Omit<FixtureManifest, 'format' | 'transports' | 'redactions' | 'exchanges' | 'recordedAt'>,
  ): Promise<void>;
}

/**
 * Wraps a live transport and appends every exchange, redacted, to `<dir>/http.jsonl`.
 * A response body is buffered whole (redaction must see a secret entire), so recording
 * costs memory the live path does not; the caller still gets it as a stream.
 */
export async function recordHttp(
  inner: HttpTransport,
  dir: string,
  redactor: Redactor,
  options: HttpRecordOptions = {},
): Promise<HttpRecorder> {
  const cassette = await CassetteWriter.create(dir, 'http');
  let pending = Promise.resolve();
  const tokens = options.volatileTokens ? new VolatileTokens() : undefined;
  const clean = <T extends { body: string; bodyEncoding?: 'base64' }>(r: T): T =>
    tokens && r.bodyEncoding === undefined ? { ...r, body: tokens.standIn(r.body) } : r;

  return {
    origin: inner.origin,
    async request(request: HttpRequest): Promise<HttpResponse> {
      const response = await inner.request(request);
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
      const body = Buffer.concat(chunks);
      // Headers first: a Set-Cookie teaches the redactor the session key the body may repeat.
      const recordedRequest: RecordedHttpRequest = clean({
        method: request.method,
        path: tokens ? tokens.standIn(redactor.text(request.path)) : redactor.text(request.path),
        headers: redactor.headers(keepHeaders(request.headers)),
        ...encodeBody(request.body, redactor),
      });
      const recordedResponse: RecordedHttpResponse = clean({
        status: response.status,
        headers: redactor.headers(keepHeaders(response.headers)),
        ...encodeBody(body, redactor),
      });
      pending = pending.then(() => cassette.append({ request: recordedRequest, response: recordedResponse }));
      await pending;
      return { status: response.status, headers: response.headers, body: chunked(body), cancel: () => {} };
    },
    async close() {
      await inner.close();
    },
    async finish(manifest) {
      await pending;
      const exchanges = cassette.count;
      await cassette.close();
      await writeManifest(dir, {
        format: FIXTURE_FORMAT,
        ...manifest,
        endpoint: redactor.text(manifest.endpoint),
        recordedAt: new Date().toISOString(),
        transports: ['http'],
        ...(tokens && { parameters: { ...manifest.parameters, volatileTokens: true } }),
        redactions: redactor.rules,
        exchanges,
      });
    },
  };
}

/** Yields a buffer in 64 KiB pieces, so consumers see a stream as they would live. */
export async function* chunked(body: Buffer): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < body.length; offset += 65_536) yield body.subarray(offset, offset + 65_536);
}
