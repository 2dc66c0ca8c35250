/** Progress of a long operation, reported as it goes. Never carries secrets. */
export type ProgressEvent =
  | { kind: 'phase'; phase: string; detail?: string }
  | { kind: 'count'; what: string; done: number; total?: number }
  | { kind: 'bytes'; read: number; sent: number; skipped: number; total?: number }
  | { kind: 'retry'; reason: string; attempt: number }
  | { kind: 'warning'; message: string };

export type ProgressListener = (event: ProgressEvent) => void;

/** Options every long call accepts. */
export interface OperationOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}
