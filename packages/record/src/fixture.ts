import { mkdir, open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DrkitError } from '@drkit/core';

/**
 * A fixture is a folder: manifest.json plus one JSON-lines cassette per transport
 * (`http.jsonl`, `powershell.jsonl`, `ssh.jsonl`), each line `{seq, request, response}`.
 */
export const FIXTURE_FORMAT = 'drkit-fixture/1';

export type TransportKind = 'http' | 'powershell' | 'ssh';

export interface FixtureManifest {
  format: typeof FIXTURE_FORMAT;
  /** What was recorded: adapter, product and version the endpoint reported. */
  adapter: string;
  product?: string;
  version?: string;
  /** The endpoint, redacted. */
  endpoint: string;
  recordedAt: string;
  transports: TransportKind[];
  /** The redaction rules that ran before anything was written. */
  redactions: string[];
  exchanges: number;
  /** Client settings a replay must reuse to ask the same questions (e.g. page size). */
  parameters?: Record<string, string | number | boolean>;
  /** How it was made, e.g. the command line, with no secret. */
  notes?: string;
}

export interface Exchange<Req = unknown, Res = unknown> {
  seq: number;
  request: Req;
  response: Res;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** Appends exchanges to one cassette; each line is written whole, already redacted. */
export class CassetteWriter {
  #file: FileHandle | undefined;
  #count = 0;
  private constructor(readonly path: string) {}

  static async create(dir: string, transport: TransportKind): Promise<CassetteWriter> {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const writer = new CassetteWriter(join(dir, `${transport}.jsonl`));
    writer.#file = await open(writer.path, 'w', FILE_MODE);
    return writer;
  }

  get count(): number {
    return this.#count;
  }

  async append(exchange: Omit<Exchange, 'seq'>): Promise<void> {
    if (!this.#file) throw new DrkitError('invalid-state', 'cassette closed');
    const line = `${JSON.stringify({ seq: this.#count++, ...exchange })}\n`;
    await this.#file.write(line);
  }

  async close(): Promise<void> {
    await this.#file?.sync();
    await this.#file?.close();
    this.#file = undefined;
  }
}

export async function writeManifest(dir: string, manifest: FixtureManifest): Promise<void> {
  const tmp = join(dir, 'manifest.json.tmp');
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: FILE_MODE });
  await rename(tmp, join(dir, 'manifest.json'));
}

export async function readManifest(dir: string): Promise<FixtureManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch (error) {
    throw new DrkitError('bad-input', `${dir} is not a drkit fixture (no manifest.json)`, { cause: error });
  }
  const manifest = JSON.parse(text) as FixtureManifest;
  if (manifest.format !== FIXTURE_FORMAT) {
    throw new DrkitError('bad-input', `${dir}: unknown fixture format ${String(manifest.format)}`);
  }
  return manifest;
}

export async function readCassette<Req, Res>(
  dir: string,
  transport: TransportKind,
): Promise<Array<Exchange<Req, Res>>> {
  const text = await readFile(join(dir, `${transport}.jsonl`), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Exchange<Req, Res>);
}
