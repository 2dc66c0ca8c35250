import type { Readable } from 'node:stream';
import type { GetIntoResult } from './range-reader.js';

/**
 * The HTTP transport adapters speak through (vSphere SOAP, SAN REST). Injected into an
 * adapter, so record/replay can wrap it and the adapter never knows what is on the far side.
 */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD';
  /** Path and query, e.g. `/sdk`. */
  path: string;
  headers: Record<string, string>;
  /** A stream for uploads too large to hold (a disk image); give its content-length header. */
  body?: string | Uint8Array | Readable;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string | string[]>;
  /** Must be drained or `cancel`led, or the connection is not reused. */
  body: AsyncIterable<Uint8Array>;
  cancel(): void;
}

/** A large body (a disk image) sent as it is read; give its content-length header. */
export interface UploadRequest {
  method: 'PUT' | 'POST';
  path: string;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array>;
  /**
   * Where the upload moved a chunk of `body` to another thread (its memory was the chunk's
   * alone) or let one read it in place (a SharedArrayBuffer), the chunk comes back through this
   * once sent: the caller may read into its memory again.
   */
  recycle?: (chunk: Uint8Array) => void;
  signal?: AbortSignal;
}

/** An upload's answer; its body was read and dropped. */
export interface UploadResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

export interface HttpTransport {
  /** scheme://host:port, no credentials, no path. */
  readonly origin: string;
  request(request: HttpRequest): Promise<HttpResponse>;
  /**
   * A GET whose body, when it is a 2xx of exactly `into.length` bytes, is written straight
   * into `into` (`filled`); any other body is discarded. For bulk disk reads; optional (a
   * recording or replaying transport has none); an answer without a Content-Length comes
   * back with `fallback` set — callers then use `request`.
   */
  getInto?(request: Omit<HttpRequest, 'method' | 'body'>, into: Buffer): Promise<GetIntoResult>;
  /**
   * Sends a large body from a thread of its own (upload-pool.ts), so several uploads encrypt
   * on several cores. Optional, like getInto: without it callers use `request`.
   */
  upload?(request: UploadRequest): Promise<UploadResult>;
  close(): Promise<void>;
}

export function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
