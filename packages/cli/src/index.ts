export { runDiscover, type DiscoverFlags, type CommandIo } from './discover-command.js';
export { openAdapter, type ConnectionFlags } from './open-adapter.js';
export { formatInventory } from './inventory-table.js';
export { exitCodeFor, oneLineReason, EXIT } from './exit-codes.js';
export { DEFAULT_FIXTURE } from './default-fixture.js';
export { loadRegistry, adapterModules, type AdapterRegistry } from './adapter-registry.js';
