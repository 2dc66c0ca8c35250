import { PassThrough, Writable } from 'node:stream';
import { DrkitError } from '@drkit/core';
import {
  commandLine,
  commandName,
  exitError,
  type ExecOptions,
  type ExecResult,
  type RemoteCommand,
  type RemoteProcess,
  type SshRunner,
} from '@drkit/ssh';
import { CassetteWriter, FIXTURE_FORMAT, writeManifest, type FixtureManifest } from './fixture.js';
import type { Redactor } from './redactor.js';
import type { SshExecRequest, SshExecResponse } from './ssh-exchange.js';
import { VolatileTokens } from './volatile-tokens.js';

const ANY_EXIT = Array.from({ length: 256 }, (_, i) => i);

export interface SshRecorder {
  /** Opens a connection through the real one and records everything on it. */
  connect(): Promise<SshRunner>;
  /** Writes the cassette (in the order calls began) and the manifest. */
  finish(manifest: Pick<FixtureManifest, 'adapter' | 'endpoint'> & Partial<FixtureManifest>): Promise<void>;
}

/**
 * Records SSH execs and streams into a fixture. Command lines, stdin and exec output are
 * redacted in memory (secrets, hosts, addresses) and volatile values stood in for; stream
 * bytes (disk data) are kept as they are — record test hosts, never production disks.
 */
export function recordSsh(connect: () => Promise<SshRunner>, dir: string, redactor: Redactor): SshRecorder {
  const entries: Array<{ request: SshExecRequest; response?: SshExecResponse }> = [];
  const tokens = new VolatileTokens();
  const clean = (text: string) => tokens.standIn(redactor.text(text));
  let connections = 0;

  return {
    async connect() {
      const inner = await connect();
      const connection = connections++;
      const runner: SshRunner = {
        get where() {
          return inner.where;
        },
        get closed() {
          return inner.closed;
        },
        singleStream: true,
        async exec(command: RemoteCommand, options: ExecOptions = {}) {
          const entry: (typeof entries)[number] = {
            request: {
              connection,
              command: clean(commandLine(command)),
              ...(options.stdin !== undefined && { stdin: clean(Buffer.from(options.stdin).toString('utf8')) }),
            },
          };
          entries.push(entry);
          let result: ExecResult;
          try {
            result = await inner.exec(command, { ...options, okCodes: ANY_EXIT });
          } catch (e) {
            const signal = DrkitError.isInstance(e) ? (e.details?.signal as string | undefined) : undefined;
            if (signal) entry.response = { signal, stderr: '' };
            throw e;
          }
          entry.response = {
            code: result.code,
            stdout: clean(result.stdout.toString('utf8')),
            stderr: clean(result.stderr),
          };
          if (result.code !== 0 && !options.okCodes?.includes(result.code))
            throw exitError(commandName(command), { code: result.code }, result.stderr);
          return result;
        },
        async open(command: RemoteCommand, options = {}) {
          const entry: (typeof entries)[number] = {
            request: { connection, command: clean(commandLine(command)), stream: true },
          };
          entries.push(entry);
          const proc = await inner.open(command, options);
          const text = 'raw' in command && command.text === true;
          return recordStream(proc, tokens, text ? redactor : undefined, (response) => (entry.response = response));
        },
        close: () => inner.close(),
      };
      return runner;
    },
    async finish(manifest) {
      const writer = await CassetteWriter.create(dir, 'ssh');
      let written = 0;
      // A call cut short (a killed stream, a lost link) has no answer to replay: left out.
      for (const e of entries) {
        if (!e.response) continue;
        await writer.append({ request: e.request, response: e.response });
        written++;
      }
      await writer.close();
      await writeManifest(dir, {
        format: FIXTURE_FORMAT,
        recordedAt: new Date().toISOString(),
        transports: ['ssh'],
        redactions: [...redactor.rules, 'volatile-values'],
        exchanges: written,
        ...manifest,
        parameters: { ...manifest.parameters, connections },
      });
    },
  };
}

function recordStream(
  proc: RemoteProcess,
  tokens: VolatileTokens,
  redactor: Redactor | undefined,
  done: (response: SshExecResponse) => void,
): RemoteProcess {
  // Text streams are redacted as they pass.
  const redact = (chunk: Buffer) => (redactor ? redactor.bytes(chunk) : chunk);
  const input: Buffer[] = [];
  let written = 0;
  let stdinEnded = false;
  const events: Array<{ after: number; out: string }> = [];
  const stdin = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const kept = redact(chunk);
      input.push(kept);
      written += kept.length;
      proc.stdin.write(chunk, cb);
    },
    final(cb) {
      stdinEnded = true;
      proc.stdin.end();
      cb();
    },
  });
  const stdout = new PassThrough();
  proc.stdout.on('data', (c: Buffer) => {
    events.push({ after: written, out: c.toString('base64') });
    stdout.write(c);
  });
  proc.stdout.on('end', () => stdout.end());
  const finish = (end: { code?: number; signal?: string; stderr: string }) => {
    // Stand-ins keep lengths (a UUID for a UUID, 13 digits for 13), so offsets still hold.
    const raw = Buffer.concat(input).toString('latin1');
    const masked = tokens.standIn(raw);
    done({
      ...end,
      stream: {
        input: Buffer.from(masked, 'latin1').toString('base64'),
        masks: VolatileTokens.spans(masked),
        events: redactor ? answers(events, redactor, tokens) : events,
        ...(redactor && { text: true as const }),
        endedAfter: written,
        stdinEnded,
      },
    });
  };
  const recorded = proc.done.then(
    () => finish({ code: 0, stderr: '' }),
    (e: unknown) => {
      if (DrkitError.isInstance(e) && (e.details?.exitCode !== undefined || e.details?.signal !== undefined)) {
        finish({
          ...(e.details.exitCode !== undefined && { code: e.details.exitCode as number }),
          ...(e.details.signal !== undefined && { signal: e.details.signal as string }),
          stderr: e.message,
        });
      }
      throw e;
    },
  );
  recorded.catch(() => {});
  return { stdin, stdout, done: recorded, kill: () => proc.kill() };
}

/**
 * A text stream's output, one event per input position (an answer arrives in many chunks and
 * a host name may straddle two), each redacted whole, its volatile values stood in for as
 * the input's are (a replay puts the live values back).
 */
function answers(
  events: Array<{ after: number; out: string }>,
  redactor: Redactor,
  tokens: VolatileTokens,
): Array<{ after: number; out: string }> {
  const merged: Array<{ after: number; bytes: Buffer[] }> = [];
  for (const e of events) {
    const last = merged.at(-1);
    const bytes = Buffer.from(e.out, 'base64');
    if (last && last.after === e.after) last.bytes.push(bytes);
    else merged.push({ after: e.after, bytes: [bytes] });
  }
  return merged.map((m) => ({
    after: m.after,
    out: Buffer.from(tokens.standIn(redactor.text(Buffer.concat(m.bytes).toString('utf8'))), 'utf8').toString('base64'),
  }));
}
