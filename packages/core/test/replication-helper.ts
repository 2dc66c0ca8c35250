import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createReferenceAdapter,
  openDirStore,
  replicateGroup,
  type Adapter,
  type DirStore,
  type Fault,
  type ReplicationResult,
} from '../src/index.js';

export interface Harness {
  site: string;
  storeDir: string;
  adapter: Adapter;
  replicate(options?: { resync?: boolean; faults?: Fault[] }): Promise<ReplicationResult>;
  store(): Promise<DirStore>;
  /** Every disk of every machine as it is now, by `<machine>/<disk>`. */
  sourceImages(): Promise<Map<string, Buffer>>;
  restore(pointId: string): Promise<Map<string, Buffer>>;
  /** True when every listed point passes `verify`. */
  everyPointVerifies(): Promise<boolean>;
}

export async function replicationHarness(site: string): Promise<Harness> {
  const storeDir = await mkdtemp(join(tmpdir(), 'drkit-store-'));
  const adapter = createReferenceAdapter({ root: site });
  await adapter.connect();
  const machines = (await readdir(site)).filter((m) => !m.startsWith('.'));
  const withStore = async <T>(fn: (s: DirStore) => Promise<T>) => {
    const s = await openDirStore(storeDir);
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  };
  return {
    site,
    storeDir,
    adapter,
    async replicate(options = {}) {
      const a = options.faults ? createReferenceAdapter({ root: site, faults: options.faults }) : adapter;
      if (options.faults) await a.connect();
      return withStore((store) =>
        replicateGroup({
          members: machines.map((machineId) => ({ adapter: a, machineId, name: machineId })),
          consistency: 'crash',
          store,
          resync: options.resync,
        }),
      );
    },
    store: () => openDirStore(storeDir),
    async sourceImages() {
      const out = new Map<string, Buffer>();
      for (const m of machines)
        for (const f of (await readdir(join(site, m))).filter((x) => x.endsWith('.img')))
          out.set(`${m}/${f.slice(0, -4)}`, await readFile(join(site, m, f)));
      return out;
    },
    everyPointVerifies: () => withStore(async (s) => (await s.verify()).every((v) => v.ok)),
    async restore(pointId) {
      const out = await mkdtemp(join(tmpdir(), 'drkit-restore-'));
      const result = await withStore((s) => s.restore(pointId, out));
      const images = new Map<string, Buffer>();
      for (const f of result.files) images.set(`${f.machine}/${f.disk}`, await readFile(f.path));
      return images;
    },
  };
}
