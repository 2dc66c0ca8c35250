import { DrkitError } from '@drkit/core';
import type { HttpRequest, HttpResponse, HttpTransport } from '@drkit/http';
import { readCassette, readManifest, type Exchange, type FixtureManifest } from './fixture.js';
import { decodeBody, normalizeRecorded, normalizeRequest, type RecordedHttpRequest, type RecordedHttpResponse } from './http-exchange.js';
import { chunked } from './http-recorder.js';
import { Redactor, type RedactorOptions } from './redactor.js';

export interface HttpReplayer extends HttpTransport {
  readonly manifest: FixtureManifest;
  /** Exchanges not yet replayed. */
  remaining(): number;
}

/**
 * Serves a recorded cassette in order. Each live request is redacted with the same rules
 * as at record time and must equal the next recorded one; anything else fails loudly with
 * the position of the first difference.
 */
export async function replayHttp(dir: string, options: RedactorOptions = {}): Promise<HttpReplayer> {
  const manifest = await readManifest(dir);
  const exchanges = await readCassette<RecordedHttpRequest, RecordedHttpResponse>(dir, 'http');
  const redactor = new Redactor(options);
  let next = 0;

  return {
    origin: 'replay://' + dir,
    manifest,
    remaining: () => exchanges.length - next,
    async request(request: HttpRequest): Promise<HttpResponse> {
      const expected: Exchange<RecordedHttpRequest, RecordedHttpResponse> | undefined = exchanges[next];
      const actual = normalizeRequest(request, redactor);
      if (!expected) {
        throw new DrkitError('replay-mismatch', `replay: unexpected request #${next} after the end of the recording: ${firstLine(actual)}`);
      }
      const wanted = normalizeRecorded(expected.request);
      if (actual !== wanted) {
        throw new DrkitError('replay-mismatch', `replay: request #${expected.seq} differs from the recording ${describeDiff(wanted, actual)}`);
      }
      next++;
      const body = decodeBody(expected.response.body, expected.response.bodyEncoding);
      return { status: expected.response.status, headers: expected.response.headers, body: chunked(body), cancel: () => {} };
    },
    async close() {},
  };
}

function firstLine(text: string): string {
  return text.slice(0, text.indexOf('\n') >>> 0).slice(0, 200);
}

function describeDiff(wanted: string, actual: string): string {
  let i = 0;
  while (i < wanted.length && wanted[i] === actual[i]) i++;
  const from = Math.max(0, i - 60);
  return `at character ${i}:\n  recorded: …${wanted.slice(from, i + 80)}\n  live:     …${actual.slice(from, i + 80)}`;
}
