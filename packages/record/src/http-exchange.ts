import type { HttpRequest } from '@drkit/http';
import type { Redactor } from './redactor.js';

export interface RecordedHttpRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: string;
  bodyEncoding?: 'base64';
}

export interface RecordedHttpResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
  bodyEncoding?: 'base64';
}

/** Headers worth keeping: what shapes the exchange, not what identifies the client. */
const KEPT = new Set([
  'content-type',
  'soapaction',
  'cookie',
  'set-cookie',
  'authorization',
  'x-auth-token',
  'api-token',
  'range',
  'content-range',
  'retry-after',
  'location',
  'accept',
]);

export function keepHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && KEPT.has(name.toLowerCase())) out[name.toLowerCase()] = value;
  }
  return out;
}

export function encodeBody(body: HttpRequest['body'], redactor: Redactor): { body: string; bodyEncoding?: 'base64' } {
  if (body === undefined) return { body: '' };
  // A streamed upload (a disk image) is not kept in a fixture: a marker stands in for it.
  if (!(typeof body === 'string' || body instanceof Uint8Array)) return { body: '<streamed upload>' };
  if (typeof body === 'string') return { body: redactor.text(body) };
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  // Binary bodies (disk data) stay base64; they carry no credentials by construction.
  if (Buffer.from(text, 'utf8').equals(Buffer.from(body)) && !text.includes('\u0000'))
    return { body: redactor.text(text) };
  return { body: Buffer.from(body).toString('base64'), bodyEncoding: 'base64' };
}

export function decodeBody(body: string, encoding: 'base64' | undefined): Buffer {
  return encoding === 'base64' ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

/** The request as replay compares it: redacted with the same rules, headers left out. */
export function normalizeRequest(request: HttpRequest, redactor: Redactor): string {
  const { body } = encodeBody(request.body, redactor);
  return `${request.method} ${redactor.text(request.path)}\n${body}`;
}

export function normalizeRecorded(request: RecordedHttpRequest): string {
  return `${request.method} ${request.path}\n${request.body}`;
}
