import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * govmomi's vCenter simulator, built from Debian's golang-github-vmware-govmomi-dev by the
 * launcher in ./vcsim (GOPATH mode, no network). The binary is cached next to the sources,
 * keyed by their hash, so a test run builds it at most once (~20 s on 2 cores).
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const SRC = join(HERE, 'vcsim');
const GOPATH = '/usr/share/gocode';

export interface VcsimTopology {
  datacenters?: number;
  clusters?: number;
  hostsPerCluster?: number;
  standaloneHosts?: number;
  vmsPerPool?: number;
  pools?: number;
  datastores?: number;
  portgroups?: number;
}

export interface VcsimOptions extends VcsimTopology {
  /** Page RetrievePropertiesEx like real vCenter, at most this many objects a page. */
  pageCap?: number;
  idleTimeout?: string;
  methodDelays?: Record<string, number>;
  /** Report VMware Tools running in powered-on VMs, so quiesced snapshots can be app-consistent. */
  toolsRunning?: boolean;
  username?: string;
  password?: string;
}

export interface Vcsim {
  url: string;
  /** https://host:port, no path. */
  origin: string;
  host: string;
  port: number;
  thumbprint: string;
  username: string;
  password: string;
  machines: number;
  hosts: number;
  datastores: number;
  clusters: number;
  pid: number;
  stop(): Promise<void>;
}

export async function buildVcsim(): Promise<string> {
  const files = (await readdir(SRC)).filter((f) => f.endsWith('.go')).sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update(await readFile(join(SRC, f)));
  const bin = join(SRC, '.bin', `vcsim-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(bin)) return bin;
  if (!existsSync(join(GOPATH, 'src/github.com/vmware/govmomi/simulator'))) {
    throw new Error(
      'govmomi sources missing: apt-get install golang-go golang-github-vmware-govmomi-dev (see .ci/run)',
    );
  }
  await mkdir(join(SRC, '.bin'), { recursive: true });
  await promisify(execFile)('go', ['build', '-o', bin, '.'], {
    cwd: SRC,
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH,
      GOCACHE: process.env.GOCACHE ?? join(SRC, '.bin', 'gocache'),
      GOFLAGS: '',
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  return bin;
}

export async function startVcsim(options: VcsimOptions = {}): Promise<Vcsim> {
  const bin = await buildVcsim();
  const password = options.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const args = [
    `-dc=${options.datacenters ?? 1}`,
    `-cluster=${options.clusters ?? 1}`,
    `-host=${options.hostsPerCluster ?? 3}`,
    `-standalone-host=${options.standaloneHosts ?? 1}`,
    `-vm=${options.vmsPerPool ?? 2}`,
    `-pool=${options.pools ?? 0}`,
    `-ds=${options.datastores ?? 1}`,
    `-pg=${options.portgroups ?? 1}`,
    `-username=${options.username ?? 'drkit'}`,
  ];
  if (options.pageCap) args.push(`-page-cap=${options.pageCap}`);
  if (options.idleTimeout) args.push(`-idle-timeout=${options.idleTimeout}`);
  if (options.toolsRunning) args.push('-tools-running');
  if (options.methodDelays) {
    args.push(
      `-method-delay=${Object.entries(options.methodDelays)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`,
    );
  }
  // The password travels by environment, not argv, so it never shows in a process list.
  const child: ChildProcess = spawn(bin, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, VCSIM_PASSWORD: password },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`vcsim exited (${code}) before listening: ${stderr}`)));
  });
  const ready = JSON.parse(line) as Omit<Vcsim, 'stop' | 'origin' | 'host' | 'port'>;
  const u = new URL(ready.url);
  return {
    ...ready,
    origin: u.origin,
    host: u.hostname,
    port: Number(u.port),
    async stop() {
      if (process.env.VCSIM_DEBUG) process.stderr.write(stderr);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin!.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
