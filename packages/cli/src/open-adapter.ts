import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DrkitError, createReferenceAdapter, type Adapter } from '@drkit/core';
import { createHttpTransport, normalizeThumbprint, type HttpTransport, type TlsPolicy } from '@drkit/http';
import { readManifest, recordSsh, Redactor, recordHttp, replayHttp, replaySsh, type HttpRecorder } from '@drkit/record';
import { createPhysicalAdapter, parsePhysicalEndpoint } from '@drkit/physical';
import { SshSession } from '@drkit/ssh';
import { createVSphereAdapter, parseVSphereEndpoint } from '@drkit/vsphere';
import { passwordSource } from './password-source.js';
import { openSan, replaySan } from './open-san.js';
import { openWindows, replayWindows } from './open-windows.js';
import { sshLogin } from './ssh-login.js';

export interface ConnectionFlags {
  thumbprint?: string;
  insecure?: boolean;
  caFile?: string;
  passwordFile?: string;
  record?: string;
  replay?: string;
  /** Objects per page (vSphere). */
  pageSize?: number;
  /** SSH private key file (ssh://). */
  identity?: string;
  /** known_hosts file (ssh://); default ~/.ssh/known_hosts. */
  knownHosts?: string;
  /** Pinned host key fingerprint, SHA256:… (ssh://). */
  fingerprint?: string;
  /** Block devices to protect (ssh://); all whole disks when absent. */
  disk?: string[];
  /** Commands the host runs around an app-consistent freeze (ssh://), each through sh -c. */
  preHook?: string;
  postHook?: string;
}

export interface OpenedAdapter {
  adapter: Adapter;
  /** Writes the recording's manifest, when recording. */
  finish(): Promise<void>;
}

/** Builds an adapter for an endpoint URL — or for a recorded fixture, with --replay. */
export async function openAdapter(endpoint: string | undefined, flags: ConnectionFlags, warn: (line: string) => void): Promise<OpenedAdapter> {
  if (flags.replay) {
    const manifest = await readManifest(flags.replay);
    if (manifest.adapter === 'physical') {
      const replay = await replaySsh(flags.replay);
      const disks = typeof manifest.parameters?.disks === 'string' ? manifest.parameters.disks.split(',') : undefined;
      const adapter = createPhysicalAdapter({ runner: () => replay.connect(), ...(disks && { disks }), compress: manifest.parameters?.compress === true });
      return { adapter, finish: async () => {} };
    }
    if (manifest.adapter === 'san') return replaySan(flags.replay);
    if (manifest.adapter === 'hyperv' || manifest.adapter === 'vmm') return replayWindows(manifest.adapter, flags.replay);
    const transport = await replayHttp(flags.replay);
    if (transport.manifest.adapter !== 'vsphere') throw new DrkitError('bad-input', `${flags.replay}: no replay support for ${transport.manifest.adapter} fixtures`);
    const adapter = createVSphereAdapter({
      transport,
      // Replay compares requests with credentials redacted, so any values match.
      credentials: { username: 'replay', password: async () => 'replay' },
      endpoint: transport.manifest.endpoint,
      maxObjects: flags.pageSize ?? numberParameter(transport.manifest.parameters?.maxObjects),
    });
    return { adapter, finish: async () => {} };
  }
  if (!endpoint) throw new DrkitError('bad-input', 'give an endpoint (vsphere://user@host) or --replay <fixture dir>');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(endpoint)?.[1]?.toLowerCase();
  if (scheme === 'file') {
    if (flags.record) throw new DrkitError('bad-input', '--record is for network endpoints; a file:// site is already on disk');
    return { adapter: createReferenceAdapter({ root: fileSitePath(endpoint) }), finish: async () => {} };
  }
  if (scheme === 'ssh') return openPhysical(endpoint, flags, warn);
  if (scheme === 'ontap' || scheme === 'pure') return openSan(endpoint, flags, await tlsPolicy(flags, warn));
  if (scheme === 'hyperv' || scheme === 'vmm') return openWindows(scheme, endpoint, flags, warn);
  if (scheme !== 'vsphere') throw new DrkitError('bad-input', `unknown endpoint scheme ${scheme ?? '(none)'}: this build knows vsphere://, ssh://, hyperv://, vmm://, ontap://, pure:// and file://`);

  const ep = parseVSphereEndpoint(endpoint);
  const tls = await tlsPolicy(flags, warn);
  const password = passwordSource({ passwordFile: flags.passwordFile, prompt: `password for ${ep.display}: ` });
  const maxObjects = flags.pageSize ?? DEFAULT_PAGE_SIZE;
  let transport: HttpTransport = createHttpTransport({ url: ep.url, tls });
  let recorder: HttpRecorder | undefined;
  if (flags.record) {
    const secret = await password();
    const redactor = new Redactor({ secrets: [secret, ep.username], hosts: [ep.host] });
    recorder = await recordHttp(transport, flags.record, redactor);
    transport = recorder;
  }
  const adapter = createVSphereAdapter({
    transport,
    credentials: { username: ep.username, password },
    endpoint: ep.display,
    path: ep.path,
    maxObjects,
  });
  return {
    adapter,
    finish: async () => {
      await recorder?.finish({
        adapter: 'vsphere',
        product: adapter.site.product,
        version: adapter.site.version,
        endpoint: ep.display,
        notes: 'recorded with drkit discover --record',
        parameters: { maxObjects },
      });
    },
  };
}

const DEFAULT_PAGE_SIZE = 500;

async function openPhysical(endpoint: string, flags: ConnectionFlags, warn: (line: string) => void): Promise<OpenedAdapter> {
  const ep = parsePhysicalEndpoint(endpoint);
  const { ssh, password } = await sshLogin(ep, flags, warn);
  const disks = flags.disk && flags.disk.length > 0 ? flags.disk : undefined;
  const shared = {
    ...(disks && { disks }),
    ...((flags.preHook || flags.postHook) && {
      hooks: { ...(flags.preHook && { pre: ['sh', '-c', flags.preHook] }), ...(flags.postHook && { post: ['sh', '-c', flags.postHook] }) },
    }),
  };
  if (!flags.record) return { adapter: createPhysicalAdapter({ ssh, ...shared }), finish: async () => {} };
  // Recorded through the same login; the password and the host are redacted in memory.
  const recorder = recordSsh(() => SshSession.open(ssh), flags.record, new Redactor({ secrets: password ? [password] : [], hosts: [ep.host] }));
  const adapter = createPhysicalAdapter({ runner: () => recorder.connect(), ...shared });
  return {
    adapter,
    finish: () =>
      recorder.finish({ adapter: 'physical', endpoint: new Redactor({ hosts: [ep.host] }).text(ep.display), notes: 'recorded with drkit --record', ...(adapter.site.product && { product: adapter.site.product }), parameters: { ...(disks && { disks: disks.join(',') }) } }),
  };
}

function numberParameter(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

async function tlsPolicy(flags: ConnectionFlags, warn: (line: string) => void): Promise<TlsPolicy> {
  const chosen = [flags.thumbprint, flags.insecure, flags.caFile].filter(Boolean).length;
  if (chosen > 1) throw new DrkitError('bad-input', 'choose one of --thumbprint, --ca-file and --insecure');
  if (flags.thumbprint) return { mode: 'pin', sha256: normalizeThumbprint(flags.thumbprint) };
  if (flags.insecure) {
    warn('drkit: WARNING: --insecure: the server certificate is not checked; anyone on the path can read the password');
    return { mode: 'insecure' };
  }
  if (flags.caFile) return { mode: 'verify', ca: await readFile(flags.caFile) };
  return { mode: 'verify' };
}

/** `file:///abs/site` → the folder; no host, no root folder (that once scanned all of /). */
function fileSitePath(endpoint: string): string {
  const bad = (why: string) => new DrkitError('bad-input', `${endpoint}: ${why}; give a site folder as file:///absolute/path`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw bad('not a URL');
  }
  if (url.host && url.host !== 'localhost') throw bad(`"${url.host}" would be a host name (a relative path?)`);
  const path = fileURLToPath(url);
  if (path.replace(/\/+$/, '') === '') throw bad('no folder');
  return path;
}
