import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { selfSignedCertificate } from './fake-rest-server.js';
import { freePort } from './free-port.js';

/**
 * Azurite — Microsoft's own Azure Storage emulator, from npm — serving the Blob service on a
 * free loopback port, with its data in a throwaway folder (so it survives a restart, as a
 * storage account does), a random account key, and optionally HTTPS with a throwaway
 * certificate. `--skipApiVersionCheck`: the newest @azure/storage-blob sends an API version
 * Azurite 3.37 does not list yet.
 */
export interface Azurite {
  account: string;
  key: string;
  /** `http(s)://127.0.0.1:<port>/<account>`: what `--blob-endpoint` takes. */
  endpoint: string;
  port: number;
  connectionString: string;
  /** PEM of the throwaway certificate (HTTPS only), and its SHA-256 thumbprint. */
  cert?: string;
  thumbprint?: string;
  /** Folder holding a key file and a connection-string file for the CLI. */
  secrets: string;
  /** The emulator's process id (for CPU accounting in benches). */
  pid(): number | undefined;
  /** SIGKILL, as a crashed storage service. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startAzurite(options: { https?: boolean } = {}): Promise<Azurite> {
  const location = await mkdtemp(join(tmpdir(), 'drkit-azurite-'));
  const secrets = await mkdtemp(join(tmpdir(), 'drkit-azurite-secrets-'));
  const account = 'drkittest';
  const key = randomBytes(64).toString('base64');
  const port = await freePort();
  const args = [
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    '--location',
    location,
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--silent',
  ];
  let tls: { cert: string; thumbprint: string } | undefined;
  if (options.https) {
    const made = selfSignedCertificate('127.0.0.1');
    await writeFile(join(location, 'cert.pem'), made.cert);
    await writeFile(join(location, 'key.pem'), made.key);
    args.push('--cert', join(location, 'cert.pem'), '--key', join(location, 'key.pem'));
    tls = { cert: made.cert, thumbprint: made.thumbprint };
  }
  const scheme = options.https ? 'https' : 'http';
  const endpoint = `${scheme}://127.0.0.1:${port}/${account}`;
  const connectionString = `DefaultEndpointsProtocol=${scheme};AccountName=${account};AccountKey=${key};BlobEndpoint=${endpoint};`;
  await writeFile(join(secrets, 'key'), `${key}\n`, { mode: 0o600 });
  await writeFile(join(secrets, 'connection-string'), `${connectionString}\n`, { mode: 0o600 });
  const main = join(dirname(createRequire(import.meta.url).resolve('azurite/package.json')), 'dist/src/blob/main.js');
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn(process.execPath, [main, ...args], {
      env: { ...process.env, AZURITE_ACCOUNTS: `${account}:${key}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (b: Buffer) => {
        log += b.toString();
        if (log.includes('successfully listen')) resolve();
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (b: Buffer) => void (log += b.toString()));
      proc.once('exit', (code) => reject(new Error(`azurite exited (${code}): ${log}`)));
      setTimeout(() => reject(new Error(`azurite did not start in 30 s: ${log}`)), 30_000).unref();
    });
  };
  const halt = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  };
  await start();
  return {
    account,
    key,
    endpoint,
    port,
    connectionString,
    ...tls,
    secrets,
    pid: () => child?.pid,
    kill: () => halt('SIGKILL'),
    restart: start,
    async stop() {
      await halt('SIGTERM');
      await rm(location, { recursive: true, force: true });
      await rm(secrets, { recursive: true, force: true });
    },
  };
}
