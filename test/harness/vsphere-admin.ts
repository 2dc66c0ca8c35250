import { createHttpTransport } from '@drkit/http';
import { Vim25Client, type XmlNode } from '@drkit/vsphere';
import type { Vcsim } from './vcsim.js';

/**
 * A second, independent vim25 session used by tests to end other sessions the way an
 * administrator (or vCenter's idle timeout) would: SessionManager.TerminateSession.
 * Morefs are the simulator's fixed ones.
 */
export async function terminateOtherSessions(sim: Vcsim): Promise<number> {
  const transport = createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } });
  const client = new Vim25Client(transport);
  const sm = { type: 'SessionManager', value: 'SessionManager' };
  const pc = { type: 'PropertyCollector', value: 'propertyCollector' };
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  try {
    await client.invoke(
      'Login',
      sm,
      `<userName>${esc(sim.username)}</userName><password>${esc(sim.password)}</password>`,
    );
    const res = await client.invoke(
      'RetrievePropertiesEx',
      pc,
      '<specSet><propSet><type>SessionManager</type><pathSet>sessionList</pathSet><pathSet>currentSession</pathSet></propSet>' +
        '<objectSet><obj type="SessionManager">SessionManager</obj></objectSet></specSet><options/>',
    );
    const props = find(res, 'propSet');
    const value = (name: string) =>
      props
        .find((p) => p.children.find((c) => c.name === 'name')?.text === name)
        ?.children.find((c) => c.name === 'val');
    const mine = value('currentSession')?.children.find((c) => c.name === 'key')?.text;
    const keys = (value('sessionList')?.children ?? [])
      .map((s) => s.children.find((c) => c.name === 'key')?.text)
      .filter((k): k is string => !!k && k !== mine);
    if (keys.length > 0)
      await client.invoke('TerminateSession', sm, keys.map((k) => `<sessionId>${esc(k)}</sessionId>`).join(''));
    await client.invoke('Logout', sm);
    return keys.length;
  } finally {
    await transport.close();
  }
}

function find(node: XmlNode, name: string): XmlNode[] {
  return node.name === name ? [node] : node.children.flatMap((c) => find(c, name));
}

/** An administrator's own session on the simulator, for changing the world under a test. */
export async function withAdminSession<T>(
  sim: Vcsim,
  fn: (client: Vim25Client, cookie: string) => Promise<T>,
): Promise<T> {
  const transport = createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } });
  const client = new Vim25Client(transport);
  const sm = { type: 'SessionManager', value: 'SessionManager' };
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  try {
    await client.invoke(
      'Login',
      sm,
      `<userName>${esc(sim.username)}</userName><password>${esc(sim.password)}</password>`,
    );
    return await fn(client, client.cookie!);
  } finally {
    await client.invoke('Logout', sm).catch(() => {});
    await transport.close();
  }
}

/** Writes a datastore file over /folder (PUT), as the simulator's VM disks start empty. */
export async function putDatastoreFile(sim: Vcsim, datastorePath: string, data: Buffer): Promise<void> {
  const m = /^\[([^\]]+)\]\s*(.+)$/.exec(datastorePath)!;
  await withAdminSession(sim, async (client, cookie) => {
    const path = `/folder/${m[2]!.split('/').map(encodeURIComponent).join('/')}?dcPath=DC0&dsName=${encodeURIComponent(m[1]!)}`;
    const response = await client.transport.request({
      method: 'PUT',
      path,
      headers: { cookie, 'content-type': 'application/octet-stream' },
      body: data,
    });
    for await (const _ of response.body);
    if (response.status >= 300) throw new Error(`PUT ${path}: HTTP ${response.status}`);
  });
}

/** Reads a datastore file over /folder (GET), whole. */
export async function getDatastoreFile(sim: Vcsim, datastorePath: string, dc = 'DC0'): Promise<Buffer> {
  const m = /^\[([^\]]+)\]\s*(.+)$/.exec(datastorePath)!;
  return withAdminSession(sim, async (client, cookie) => {
    const path = `/folder/${m[2]!.split('/').map(encodeURIComponent).join('/')}?dcPath=${dc}&dsName=${encodeURIComponent(m[1]!)}`;
    const response = await client.transport.request({ method: 'GET', path, headers: { cookie } });
    const chunks: Buffer[] = [];
    for await (const c of response.body) chunks.push(Buffer.from(c));
    if (response.status !== 200) throw new Error(`GET ${path}: HTTP ${response.status}`);
    return Buffer.concat(chunks);
  });
}

/** Powers a VM off through PowerOffVM_Task (the simulator completes tasks at once). */
export async function powerOff(sim: Vcsim, vmMoref: string): Promise<void> {
  await withAdminSession(sim, async (client) => {
    await client.invoke('PowerOffVM_Task', { type: 'VirtualMachine', value: vmMoref });
    await new Promise((r) => setTimeout(r, 200));
  });
}

/** Waits until a task the simulator runs in the background is no longer queued or running. */
async function settleTask(client: Vim25Client, task: XmlNode | undefined): Promise<void> {
  if (!task?.type) return;
  const pc = { type: 'PropertyCollector', value: 'propertyCollector' };
  for (let i = 0; i < 100; i++) {
    const r = await client.invoke(
      'RetrievePropertiesEx',
      pc,
      `<specSet><propSet><type>Task</type><pathSet>info.state</pathSet></propSet><objectSet><obj type="Task">${task.text}</obj></objectSet></specSet><options/>`,
    );
    const state = find(r, 'val')[0]?.text;
    if (state === 'success') return;
    if (state === 'error') throw new Error(`task ${task.text} failed`);
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`task ${task.text} did not finish`);
}

/** A new VM: a clone of `vmMoref` named `name`, in the same folder, powered off. */
export async function cloneVm(sim: Vcsim, vmMoref: string, name: string): Promise<void> {
  await withAdminSession(sim, async (client) => {
    const vm = { type: 'VirtualMachine', value: vmMoref };
    const r = await client.invoke(
      'RetrievePropertiesEx',
      { type: 'PropertyCollector', value: 'propertyCollector' },
      `<specSet><propSet><type>VirtualMachine</type><pathSet>parent</pathSet></propSet><objectSet><obj type="VirtualMachine">${vmMoref}</obj></objectSet></specSet><options/>`,
    );
    const folder = find(r, 'val')[0]!;
    const task = await client.invoke(
      'CloneVM_Task',
      vm,
      `<folder type="Folder">${folder.text}</folder><name>${name}</name><spec><location/><template>false</template><powerOn>false</powerOn></spec>`,
    );
    await settleTask(client, task.children[0]);
  });
}

/** Adds a thin 1 MiB disk beside the VM's first one (same controller, next unit). */
export async function addDisk(sim: Vcsim, vmMoref: string): Promise<void> {
  await withAdminSession(sim, async (client) => {
    const r = await client.invoke(
      'RetrievePropertiesEx',
      { type: 'PropertyCollector', value: 'propertyCollector' },
      `<specSet><propSet><type>VirtualMachine</type><pathSet>config.hardware.device</pathSet></propSet><objectSet><obj type="VirtualMachine">${vmMoref}</obj></objectSet></specSet><options/>`,
    );
    const disk = find(r, 'VirtualDevice').find((d) => d.xsiType === 'VirtualDisk')!;
    const controller = find(disk, 'controllerKey')[0]!.text;
    const task = await client.invoke(
      'ReconfigVM_Task',
      { type: 'VirtualMachine', value: vmMoref },
      '<spec><deviceChange><operation>add</operation><fileOperation>create</fileOperation>' +
        '<device xsi:type="VirtualDisk"><key>-1</key>' +
        '<backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName></fileName><diskMode>persistent</diskMode><thinProvisioned>true</thinProvisioned></backing>' +
        `<controllerKey>${controller}</controllerKey><unitNumber>1</unitNumber><capacityInKB>1024</capacityInKB></device>` +
        '</deviceChange></spec>',
    );
    await settleTask(client, task.children[0]);
  });
}
