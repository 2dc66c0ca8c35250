import { startVcsim } from '../harness/vcsim.ts';
import { terminateOtherSessions } from '../harness/vsphere-admin.ts';
import { createHttpTransport } from '@drkit/http';
import { Vim25Client } from '@drkit/vsphere';
const sim = await startVcsim({});
const t = createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint }, connections: 1 });
const c = new Vim25Client(t);
const si = { type: 'ServiceInstance', value: 'ServiceInstance' };
await c.invoke('RetrieveServiceContent', si);
await c.invoke('Login', { type: 'SessionManager', value: 'SessionManager' }, `<userName>${sim.username}</userName><password>${sim.password}</password>`);
await c.invoke('RetrieveServiceContent', si);
console.log('before');
for (const wait of [0, 10, 100]) {
  await terminateOtherSessions(sim).catch(e => console.log('term', e.message));
  await new Promise(r => setTimeout(r, wait));
  try { await c.invoke('RetrievePropertiesEx', { type: 'PropertyCollector', value: 'propertyCollector' }, '<specSet><propSet><type>SessionManager</type><pathSet>currentSession</pathSet></propSet><objectSet><obj type="SessionManager">SessionManager</obj></objectSet></specSet><options/>'); console.log('ok after', wait); } catch (e) { console.log('fail after', wait, (e as Error).message); }
}
await sim.stop();
