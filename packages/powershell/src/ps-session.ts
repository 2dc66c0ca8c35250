import { createHash } from 'node:crypto';
import { DrkitError, abortError } from '@drkit/core';
import type { RemoteProcess, SshRunner } from '@drkit/ssh';
import { powershellCommandLine } from './encoded-command.js';
import { psInput } from './ps-input.js';
import { readEnvelope } from './ps-envelope.js';
import { FRAME_MARK, SESSION_LOOP } from './ps-session-loop.js';
import type { PowerShellRunner, PsOperation } from './powershell-runner.js';

export interface PowerShellSessionOptions {
  /** `powershell.exe` (Windows PowerShell 5.1, the default) or `pwsh`. */
  exe?: string;
  /** Per-call limit, ms, when the call gives none. Default 300 000. */
  timeoutMs?: number;
  /** Longest answer line, bytes. Default 64 MiB, as for one-shot calls. */
  maxAnswerBytes?: number;
  /** How long PowerShell may take to start and say it is ready. Default 120 000 ms. */
  startTimeoutMs?: number;
}

export interface PowerShellSession extends PowerShellRunner {
  /** Ends the PowerShell process (end of its stdin; killed if it does not go). */
  close(): Promise<void>;
  /** PowerShell processes started so far: 1 per session while nothing went wrong. */
  readonly starts: number;
  /** Calls waiting or running: 0 when the session is idle. */
  readonly pending: number;
  /**
   * Starts PowerShell ahead of the calls that will need it: `sessions` processes where a pool
   * keeps several (a group about to take its snapshots side by side), else the one.
   */
  warm(sessions?: number): Promise<void>;
}

interface Call {
  /** Absent: only start the process (warm), no request. */
  operation?: PsOperation;
  input: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Takes the call out of the line if its signal fires while it waits; removed once it runs. */
  onAbort?: () => void;
  resolve: (rows: unknown[]) => void;
  reject: (error: unknown) => void;
}

// A script's key, once per fixed script object (its text never changes).
const keys = new WeakMap<PsOperation, string>();
const keyOf = (op: PsOperation): string => {
  let key = keys.get(op);
  if (!key) {
    key = createHash('sha256').update(op.body).digest('hex').slice(0, 16);
    keys.set(op, key);
  }
  return key;
};

/**
 * One long-lived PowerShell per connection, fed framed requests on stdin (see SESSION_LOOP):
 * a call costs a line each way instead of a process start (~0.75 s for pwsh here, more for
 * powershell.exe on Windows). A runspace runs one pipeline at a time, so calls queue and go
 * one by one, in the order they were made. A call that times out or is aborted ends the
 * process — nothing of it keeps running, no half-read answer is left behind — and the next
 * call starts a fresh one; so does a call after the process died while idle (an SSH channel
 * closed by the server). A process that dies with a call in flight fails that call (it may
 * have run): retrying is the caller's decision. A fresh process that dies before it is ready
 * fails the call that started it; no start loop.
 */
export function powershellSessionOver(ssh: SshRunner, options: PowerShellSessionOptions = {}): PowerShellSession {
  const exe = options.exe ?? 'powershell.exe';
  const maxAnswer = options.maxAnswerBytes ?? 64 * 1024 * 1024;
  const line = powershellCommandLine(SESSION_LOOP, exe);
  const queue: Call[] = [];
  let proc: Live | undefined;
  let busy = false;
  let starts = 0;
  let closed = false;

  const pump = async (): Promise<void> => {
    if (busy) return;
    const call = queue.shift();
    if (!call) return;
    // From here `until` follows the signal: a long-lived one must not collect a listener per call.
    if (call.onAbort) call.signal?.removeEventListener('abort', call.onAbort);
    busy = true;
    try {
      call.resolve(await run(call));
    } catch (error) {
      call.reject(error);
    } finally {
      busy = false;
      void pump();
    }
  };

  const run = async (call: Call): Promise<unknown[]> => {
    if (call.signal?.aborted) throw abortError(call.signal);
    if (!proc || proc.dead) proc = await start(call);
    if (!call.operation) return [];
    const live = proc;
    const key = keyOf(call.operation);
    const request = {
      id: ++live.lastId,
      op: call.operation.name,
      key,
      ...(!live.scripts.has(key) && { script: Buffer.from(call.operation.body, 'utf8').toString('base64') }),
      ...(call.input !== undefined && { input: call.input }),
    };
    live.scripts.add(key);
    const answer = live.answer(request.id);
    live.process.stdin.write(`${psInput(request)}\n`);
    const envelope = await until(
      answer,
      call,
      live,
      `${call.operation.name}: PowerShell did not answer within ${call.timeoutMs} ms; its session was ended`,
    );
    return readEnvelope(call.operation.name, envelope);
  };

  const start = async (call: Call): Promise<Live> => {
    starts++;
    const live = new Live(await ssh.open({ raw: line, name: 'powershell session', text: true }), maxAnswer);
    await until(
      live.answer('ready'),
      { ...call, timeoutMs: options.startTimeoutMs ?? 120_000 },
      live,
      `PowerShell did not start within ${options.startTimeoutMs ?? 120_000} ms`,
    );
    return live;
  };

  const enqueue = (
    operation: PsOperation | undefined,
    input: unknown,
    opts: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<unknown[]> => {
    if (closed)
      return Promise.reject(
        new DrkitError('invalid-state', `${operation?.name ?? 'PowerShell'}: the PowerShell session is closed`),
      );
    return new Promise<unknown[]>((resolve, reject) => {
      const call: Call = {
        ...(operation && { operation }),
        input,
        timeoutMs: opts.timeoutMs ?? options.timeoutMs ?? 300_000,
        ...(opts.signal && { signal: opts.signal }),
        resolve,
        reject,
      };
      // A call aborted while it waits in line leaves the line; the running one ends its process.
      if (opts.signal) {
        call.onAbort = () => {
          const at = queue.indexOf(call);
          if (at >= 0) {
            queue.splice(at, 1);
            reject(abortError(opts.signal!));
          }
        };
        opts.signal.addEventListener('abort', call.onAbort, { once: true });
      }
      queue.push(call);
      void pump();
    });
  };

  return {
    get starts() {
      return starts;
    },
    get pending() {
      return queue.length + (busy ? 1 : 0);
    },
    invoke<T>(operation: PsOperation, input?: unknown, opts: { signal?: AbortSignal; timeoutMs?: number } = {}) {
      return enqueue(operation, input, opts) as Promise<T[]>;
    },
    /** Starts the process now (in line with the calls), so a later call does not wait for it. */
    async warm() {
      await enqueue(undefined, undefined, {});
    },
    async close() {
      closed = true;
      for (const c of queue.splice(0))
        c.reject(new DrkitError('aborted', `${c.operation?.name ?? 'PowerShell'}: the PowerShell session was closed`));
      await proc?.end();
      proc = undefined;
    },
  };
}

/** Waits for `answer` within the call's time and signal; either one ends the process. */
async function until<T>(
  answer: Promise<T>,
  call: Pick<Call, 'timeoutMs' | 'signal'>,
  live: Live,
  late: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DrkitError('timeout', late)), call.timeoutMs);
    if (call.signal) {
      onAbort = () => reject(abortError(call.signal!));
      call.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([answer, stop]);
  } catch (error) {
    live.kill();
    throw error;
  } finally {
    clearTimeout(timer);
    if (onAbort) call.signal?.removeEventListener('abort', onAbort);
  }
}

/** One running PowerShell: its answers by id, read line by line from stdout. */
class Live {
  lastId = 0;
  dead = false;
  readonly scripts = new Set<string>();
  readonly #waiting = new Map<string, { resolve: (envelope: string) => void; reject: (e: unknown) => void }>();
  readonly #ended: Promise<void>;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #death: DrkitError | undefined;

  constructor(
    readonly process: RemoteProcess,
    private readonly maxAnswer: number,
  ) {
    process.stdin.on('error', () => {}); // a dead process's pipe: the death itself is reported
    process.stdout.on('data', (chunk: Buffer) => this.#read(chunk));
    this.#ended = process.done.then(
      () => this.#die(new DrkitError('unreachable', 'the PowerShell session ended', { retryable: true })),
      (error: unknown) =>
        this.#die(
          DrkitError.isInstance(error)
            ? error
            : new DrkitError('unreachable', 'the PowerShell session was lost', { cause: error, retryable: true }),
        ),
    );
  }

  /** The envelope of request `id` (or the ready line), once it arrives. */
  answer(id: number | 'ready'): Promise<string> {
    if (this.#death) return Promise.reject(this.#death);
    return new Promise((resolve, reject) => this.#waiting.set(String(id), { resolve, reject }));
  }

  /** Ends the process now: end of input (the loop's own way out) and the kill. */
  kill(): void {
    this.dead = true;
    this.process.stdin.destroy();
    this.process.kill();
  }

  /** End of stdin ends the loop; a process that does not go within 5 s is killed. */
  async end(): Promise<void> {
    if (this.dead) return;
    this.dead = true;
    this.process.stdin.end();
    const timer = setTimeout(() => this.process.kill(), 5_000);
    await this.#ended;
    clearTimeout(timer);
  }

  #read(chunk: Buffer): void {
    let from = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, from)) {
      this.#pending.push(chunk.subarray(from, nl));
      this.#line(Buffer.concat(this.#pending).toString('utf8').replace(/\r$/, ''));
      this.#pending = [];
      this.#pendingBytes = 0;
      from = nl + 1;
    }
    if (from < chunk.length) {
      this.#pending.push(chunk.subarray(from));
      this.#pendingBytes += chunk.length - from;
      if (this.#pendingBytes > this.maxAnswer) {
        this.#die(new DrkitError('protocol', `PowerShell answered with more than ${this.maxAnswer} bytes on one line`));
        this.kill();
      }
    }
  }

  #line(text: string): void {
    const at = text.indexOf(FRAME_MARK);
    if (at < 0) return; // console output of a cmdlet, not an answer
    const rest = text.slice(at + FRAME_MARK.length);
    const space = rest.indexOf(' ');
    const id = space < 0 ? rest : rest.slice(0, space);
    const waiter = this.#waiting.get(id);
    if (!waiter) return;
    this.#waiting.delete(id);
    waiter.resolve(space < 0 ? '' : rest.slice(space + 1));
  }

  #die(error: DrkitError): void {
    this.dead = true;
    this.#death ??= error;
    for (const w of this.#waiting.values()) w.reject(this.#death);
    this.#waiting.clear();
  }
}
