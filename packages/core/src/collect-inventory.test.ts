import { describe, expect, it } from 'vitest';
import { collectInventory } from './collect-inventory.js';
import type { InventoryItem, Machine } from '@drkit/spec';

const machine = (id: string): Machine => ({
  id,
  nativeId: id,
  name: id,
  powerState: 'on',
  os: { family: 'linux' },
  disks: [],
  nics: [],
  addresses: [],
  storageIds: [],
  networkIds: [],
});

async function* items(list: InventoryItem[]): AsyncGenerator<InventoryItem> {
  yield* list;
}

describe('collectInventory', () => {
  it('sorts streamed items into a schema-versioned inventory, warnings included', async () => {
    const inv = await collectInventory(
      { adapter: 't', endpoint: 'e' },
      items([
        { kind: 'machine', machine: machine('a') },
        { kind: 'host', host: { id: 'h', nativeId: 'h', name: 'h', powerState: 'on', storageIds: [], networkIds: [] } },
        { kind: 'warning', message: 'partial view' },
      ]),
    );
    expect(inv.schemaVersion).toBe(1);
    expect(inv.machines.map((m) => m.id)).toEqual(['a']);
    expect(inv.hosts).toHaveLength(1);
    expect(inv.warnings).toEqual(['partial view']);
  });

  it('fails loudly when an adapter yields the same id twice', async () => {
    await expect(
      collectInventory(
        { adapter: 't', endpoint: 'e' },
        items([
          { kind: 'machine', machine: machine('a') },
          { kind: 'machine', machine: machine('a') },
        ]),
      ),
    ).rejects.toThrow(/machine a twice/);
  });
});
