import { DrkitError } from '@drkit/core';
import type { HttpRequest, HttpResponse, HttpTransport } from '@drkit/http';
import { readCassette, readManifest, type Exchange, type FixtureManifest } from './fixture.js';
import {
  decodeBody,
  normalizeRecorded,
  normalizeRequest,
  type RecordedHttpRequest,
  type RecordedHttpResponse,
} from './http-exchange.js';
import { chunked } from './http-recorder.js';
import { Redactor, type RedactorOptions } from './redactor.js';
import { LiveBindings } from './volatile-tokens.js';

/** How far past the oldest unplayed exchange a request may match: room for a few requests in flight, no more. */
const LOOKAHEAD = 16;

export interface HttpReplayer extends HttpTransport {
  readonly manifest: FixtureManifest;
  /** Exchanges not yet replayed. */
  remaining(): number;
}

/**
 * Serves a recorded cassette in order. Each live request is redacted with the same rules
 * as at record time and must equal the next recorded one; anything else fails loudly with
 * the position of the first difference. Requests an adapter sends concurrently may arrive
 * in another order than recorded: a request may take the earliest unplayed exchange it
 * equals among the next few, so identical requests (job polls) still replay in order.
 * A fixture recorded with volatile tokens matches stand-ins against live values and puts
 * the live values back into the answers.
 */
export async function replayHttp(dir: string, options: RedactorOptions = {}): Promise<HttpReplayer> {
  const manifest = await readManifest(dir);
  const exchanges = await readCassette<RecordedHttpRequest, RecordedHttpResponse>(dir, 'http');
  const redactor = new Redactor(options);
  const bindings = manifest.parameters?.volatileTokens === true ? new LiveBindings() : undefined;
  const played = new Set<number>();
  const recorded = exchanges.map((e) => normalizeRecorded(e.request));
  let next = 0;
  const matches = (wanted: string, actual: string) => (bindings ? bindings.match(wanted, actual) : wanted === actual);

  return {
    origin: `replay://${dir}`,
    manifest,
    remaining: () => exchanges.length - played.size,
    async request(request: HttpRequest): Promise<HttpResponse> {
      const actual = normalizeRequest(request, redactor);
      if (next >= exchanges.length) {
        throw new DrkitError(
          'replay-mismatch',
          `replay: unexpected request #${exchanges.length} after the end of the recording: ${firstLine(actual)}`,
        );
      }
      let at = -1;
      for (let i = next; i < Math.min(exchanges.length, next + LOOKAHEAD) && at < 0; i++) {
        if (!played.has(i) && matches(recorded[i]!, actual)) at = i;
      }
      if (at < 0) {
        const expected = exchanges[next]!;
        throw new DrkitError(
          'replay-mismatch',
          `replay: request #${expected.seq} differs from the recording ${describeDiff(recorded[next]!, actual)}`,
        );
      }
      played.add(at);
      while (played.has(next)) next++;
      const { response }: Exchange<RecordedHttpRequest, RecordedHttpResponse> = exchanges[at]!;
      const text = response.bodyEncoding === undefined && bindings ? bindings.restore(response.body) : response.body;
      return {
        status: response.status,
        headers: response.headers,
        body: chunked(decodeBody(text, response.bodyEncoding)),
        cancel: () => {},
      };
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
