import { PassThrough, Writable } from 'node:stream';
import { DrkitError } from '@drkit/core';
import {
  commandLine,
  commandName,
  exitError,
  type ExecOptions,
  type RemoteCommand,
  type RemoteProcess,
  type SshRunner,
} from '@drkit/ssh';
import { readCassette, readManifest, type Exchange, type FixtureManifest } from './fixture.js';
import type { SshExecRequest, SshExecResponse, SshStreamTranscript } from './ssh-exchange.js';
import { LiveBindings } from './volatile-tokens.js';
import { Redactor, type RedactorOptions } from './redactor.js';

type SshExchange = Exchange<SshExecRequest, SshExecResponse>;

export interface SshReplay {
  manifest: FixtureManifest;
  /** The next recorded connection, in the order they were opened. */
  connect(): Promise<SshRunner>;
}

/**
 * Plays a recorded fixture back: each connect() is the next recorded connection, each call
 * must be the next recorded one on it (same command, volatile values aside), and answers
 * come back as recorded — streams chunk by chunk, each once the same input has arrived.
 * Anything else fails loudly with `replay-mismatch`.
 */
export async function replaySsh(dir: string, options: RedactorOptions = {}): Promise<SshReplay> {
  const manifest = await readManifest(dir);
  if (!manifest.transports.includes('ssh'))
    throw new DrkitError('bad-input', `${dir}: the fixture has no ssh cassette`);
  const all = await readCassette<SshExecRequest, SshExecResponse>(dir, 'ssh');
  const byConnection = new Map<number, SshExchange[]>();
  for (const e of all) byConnection.set(e.request.connection, [...(byConnection.get(e.request.connection) ?? []), e]);
  const bindings = new LiveBindings();
  let next = 0;
  return {
    manifest,
    async connect() {
      const connection = next++;
      const queue = byConnection.get(connection);
      if (!queue)
        throw new DrkitError(
          'replay-mismatch',
          `${dir}: connection ${connection} was never recorded (the fixture has ${byConnection.size})`,
        );
      return replayRunner(manifest.endpoint, queue, bindings, new Redactor(options));
    },
  };
}

/** How far ahead a command may be found when concurrent calls were recorded in another order. */
const LOOKAHEAD = 16;

function replayRunner(where: string, queue: SshExchange[], bindings: LiveBindings, redactor: Redactor): SshRunner {
  let closed = false;
  const take = (line: string, stream: boolean): SshExchange => {
    const e = queue.shift();
    if (!e)
      throw new DrkitError('replay-mismatch', `unexpected command after the recording ended: ${line.slice(0, 160)}`);
    if (!!e.request.stream !== stream || !bindings.match(e.request.command, line)) {
      throw new DrkitError(
        'replay-mismatch',
        `expected #${e.seq} ${e.request.command.slice(0, 160)}\n     got ${line.slice(0, 160)}`,
      );
    }
    return e;
  };
  return {
    where,
    get closed() {
      return closed;
    },
    singleStream: true,
    async exec(command: RemoteCommand, options: ExecOptions = {}) {
      const line = commandLine(command);
      // Redacted with the recording's default rules first (a password field in JSON input), as HTTP replay does.
      const stdin =
        options.stdin === undefined ? undefined : redactor.text(Buffer.from(options.stdin).toString('utf8'));
      const sameInput = (e: SshExchange) =>
        (e.request.stdin === undefined) === (stdin === undefined) &&
        (stdin === undefined || bindings.match(e.request.stdin!, stdin));
      // Commands sent side by side (two disks closed at once) may have been recorded in either
      // order: the first of the next few that is this command with this input answers.
      const at = queue
        .slice(0, LOOKAHEAD)
        .findIndex((e) => !e.request.stream && bindings.match(e.request.command, line) && sameInput(e));
      const e = at >= 0 ? queue.splice(at, 1)[0]! : take(line, false);
      if (at < 0) throw new DrkitError('replay-mismatch', `#${e.seq}: stdin differs from the recording`);
      const r = e.response;
      const stderr = bindings.restore(r.stderr);
      if (r.signal || (r.code !== 0 && !options.okCodes?.includes(r.code ?? -1)))
        throw exitError(commandName(command), r.signal ? { signal: r.signal } : { code: r.code! }, stderr);
      return { stdout: Buffer.from(bindings.restore(r.stdout ?? '')), stderr, code: r.code ?? 0 };
    },
    async open(command: RemoteCommand) {
      const line = commandLine(command);
      // Streams opened side by side (a helper per disk) may have been recorded in either
      // order: the input that arrives tells which recording this one is.
      const candidates = queue
        .slice(0, LOOKAHEAD)
        .filter((e) => e.request.stream && e.response.stream && bindings.match(e.request.command, line));
      if (candidates.length > 1) {
        return streamChosenByInput(
          commandName(command),
          candidates,
          (e) => {
            const i = queue.indexOf(e);
            if (i >= 0) queue.splice(i, 1);
            return i >= 0;
          },
          redactor,
          bindings,
        );
      }
      const e = take(line, true);
      if (!e.response.stream) throw new DrkitError('replay-mismatch', `#${e.seq} recorded no stream`);
      return replayStream(commandName(command), e.seq, e.response, e.response.stream, redactor, bindings);
    },
    async close() {
      closed = true;
    },
  };
}

/** A recording's stream input, checked piece by piece; masked bytes (volatile values) match anything. */
function recordedInput(t: SshStreamTranscript): (at: number, chunk: Buffer) => number {
  const expected = Buffer.from(t.input, 'base64');
  const masked = new Uint8Array(expected.length);
  for (const [a, b] of t.masks) masked.fill(1, a, b);
  // The first position where `chunk`, arriving at `at`, differs from the recording; -1 when it does not.
  return (at, chunk) => {
    for (let i = 0; i < chunk.length; i++)
      if (at + i >= expected.length || (!masked[at + i] && chunk[i] !== expected[at + i])) return at + i;
    return -1;
  };
}

function replayStream(
  name: string,
  seq: number,
  end: SshExecResponse,
  t: SshStreamTranscript,
  redactor: Redactor,
  bindings: LiveBindings,
): RemoteProcess {
  const masked = recordedInput(t);
  const expected = Buffer.from(t.input, 'base64').toString('latin1');
  // Text: stand-ins in the recording bind to the live values in their places (and go back
  // into the answers); binary: masked spans match anything.
  const differsAt = (at: number, chunk: Buffer): number =>
    !t.text
      ? masked(at, chunk)
      : bindings.match(expected.slice(at, at + chunk.length), chunk.toString('latin1'))
        ? -1
        : at;
  const answer = (out: string) =>
    t.text
      ? Buffer.from(bindings.restore(Buffer.from(out, 'base64').toString('utf8')), 'utf8')
      : Buffer.from(out, 'base64');
  // A text stream was recorded redacted, chunk by chunk: what arrives is redacted the same way first.
  const redact = (chunk: Buffer) => (t.text ? redactor.bytes(chunk) : chunk);
  const stdout = new PassThrough();
  let received = 0;
  let stdinEnded = false;
  let event = 0;
  let settle: (error?: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
  done.catch(() => {});
  let finished = false;
  const finish = (error?: unknown) => {
    if (finished) return;
    finished = true;
    stdout.end();
    if (error) return settle(error);
    if (end.signal || end.code !== 0)
      return settle(exitError(name, end.signal ? { signal: end.signal } : { code: end.code ?? -1 }, end.stderr));
    settle();
  };
  const pump = () => {
    while (event < t.events.length && t.events[event]!.after <= received) stdout.write(answer(t.events[event++]!.out));
    if (event === t.events.length && received >= t.endedAfter && (!t.stdinEnded || stdinEnded)) finish();
  };
  const stdin = new Writable({
    write(raw: Buffer, _enc, cb) {
      const chunk = redact(raw);
      const at = differsAt(received, chunk);
      if (at >= 0) {
        // The error surfaces through `done`; erroring stdin would need a listener nobody has.
        finish(new DrkitError('replay-mismatch', `#${seq} ${name}: input differs from the recording at byte ${at}`));
        return cb();
      }
      received += chunk.length;
      pump();
      cb();
    },
    final(cb) {
      stdinEnded = true;
      // A client that stops early (its run failed) never gets the recorded end: say so, never hang.
      if (received < expected.length)
        finish(
          new DrkitError(
            'replay-mismatch',
            `#${seq} ${name}: input ended at byte ${received}; the recording's went on to byte ${expected.length}`,
          ),
        );
      else pump();
      cb();
    },
  });
  queueMicrotask(pump);
  return {
    stdin,
    stdout,
    done,
    kill: () => finish(new DrkitError('aborted', `${name} was stopped`, { retryable: false })),
  };
}

/**
 * A stream whose recording is picked by its first write (a client may wait for an answer
 * before writing more): the earliest candidate, still unclaimed, whose input starts with
 * it replays it and everything after. None left is a mismatch, as with a single recording.
 */
function streamChosenByInput(
  name: string,
  candidates: SshExchange[],
  claim: (e: SshExchange) => boolean,
  redactor: Redactor,
  bindings: LiveBindings,
): RemoteProcess {
  const inputs = new Map(candidates.map((e) => [e, recordedInput(e.response.stream!)] as const));
  let chosen: RemoteProcess | undefined;
  const stdout = new PassThrough();
  let settle: (error?: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
  done.catch(() => {});
  const fail = (error: DrkitError) => {
    stdout.end();
    settle(error);
  };
  const choose = (fits: (e: SshExchange) => boolean) => {
    const e = candidates.find((c) => fits(c) && claim(c));
    if (!e)
      return fail(
        new DrkitError(
          'replay-mismatch',
          `${name}: input matches none of the ${candidates.length} recordings it could be`,
        ),
      );
    chosen = replayStream(name, e.seq, e.response, e.response.stream!, redactor, bindings);
    chosen.stdout.pipe(stdout);
    chosen.done.then(
      () => settle(),
      (error: unknown) => settle(error),
    );
    return chosen;
  };
  const stdin = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const to =
        chosen ?? choose((e) => inputs.get(e)!(0, e.response.stream!.text ? redactor.bytes(chunk) : chunk) < 0);
      if (!to) return cb();
      to.stdin.write(chunk, () => cb());
    },
    final(cb) {
      (chosen ?? choose((e) => e.response.stream!.input === ''))?.stdin.end();
      cb();
    },
  });
  return {
    stdin,
    stdout,
    done,
    kill: () => (chosen ? chosen.kill() : fail(new DrkitError('aborted', `${name} was stopped`, { retryable: false }))),
  };
}
