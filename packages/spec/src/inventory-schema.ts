/**
 * JSON Schema (draft 2020-12) of `drkit discover --json`, version 1. Other tools rely on
 * `schemaVersion`, `machines[].id/name/powerState/disks[].id/capacityBytes`; everything
 * else may grow. `drkit schema` prints this document.
 */
const id = { type: 'string', minLength: 1 } as const;
const ids = { type: 'array', items: id } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;
const bytes = { type: 'number', minimum: 0 } as const;
const powerState = { enum: ['on', 'off', 'suspended', 'unknown'] } as const;

const disk = {
  type: 'object',
  required: ['id', 'name', 'capacityBytes'],
  properties: {
    id,
    name: { type: 'string' },
    capacityBytes: bytes,
    path: { type: 'string' },
    storageId: id,
    provisioning: { type: 'string' },
    changeTracking: { type: 'boolean' },
    wwn: { type: 'string', pattern: '^(naa|eui|t10)\\.[0-9a-z]+$' },
  },
} as const;

const nic = {
  type: 'object',
  required: ['id', 'name', 'addresses'],
  properties: {
    id,
    name: { type: 'string' },
    macAddress: { type: 'string' },
    networkId: id,
    addresses: strings,
    connected: { type: 'boolean' },
  },
} as const;

const machine = {
  type: 'object',
  required: ['id', 'nativeId', 'name', 'powerState', 'os', 'disks', 'nics', 'addresses', 'storageIds', 'networkIds'],
  properties: {
    id,
    nativeId: id,
    name: { type: 'string' },
    powerState,
    os: {
      type: 'object',
      required: ['family'],
      properties: { family: { enum: ['windows', 'linux', 'other', 'unknown'] }, name: { type: 'string' } },
    },
    cpuCount: { type: 'integer', minimum: 0 },
    memoryBytes: bytes,
    hostId: id,
    clusterId: id,
    disks: { type: 'array', items: disk },
    nics: { type: 'array', items: nic },
    addresses: strings,
    storageIds: ids,
    networkIds: ids,
    placement: { type: 'object', properties: { cloud: { type: 'string' }, hostGroup: { type: 'string' } } },
    guestAgent: {
      type: 'object',
      required: ['state'],
      properties: {
        state: { enum: ['running', 'not-running', 'not-installed', 'unknown'] },
        version: { type: 'string' },
      },
    },
    template: { type: 'boolean' },
    firmware: { enum: ['bios', 'efi'] },
  },
} as const;

export const inventorySchemaV1 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://drkit.dev/schema/inventory-v1.json',
  title: 'drkit inventory',
  type: 'object',
  required: [
    'schemaVersion',
    'site',
    'collectedAt',
    'machines',
    'hosts',
    'clusters',
    'storage',
    'networks',
    'warnings',
  ],
  properties: {
    schemaVersion: { const: 1 },
    site: {
      type: 'object',
      required: ['adapter', 'endpoint'],
      properties: {
        adapter: id,
        endpoint: { type: 'string' },
        product: { type: 'string' },
        version: { type: 'string' },
        apiVersion: { type: 'string' },
        instanceId: { type: 'string' },
      },
    },
    collectedAt: { type: 'string', format: 'date-time' },
    machines: { type: 'array', items: machine },
    hosts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'nativeId', 'name', 'powerState', 'storageIds', 'networkIds'],
        properties: {
          id,
          nativeId: id,
          name: { type: 'string' },
          clusterId: id,
          product: { type: 'string' },
          version: { type: 'string' },
          connectionState: { type: 'string' },
          powerState,
          storageIds: ids,
          networkIds: ids,
        },
      },
    },
    clusters: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'nativeId', 'name', 'hostIds'],
        properties: { id, nativeId: id, name: { type: 'string' }, hostIds: ids },
      },
    },
    storage: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'nativeId', 'name'],
        properties: {
          id,
          nativeId: id,
          name: { type: 'string' },
          type: { type: 'string' },
          capacityBytes: bytes,
          freeBytes: bytes,
          url: { type: 'string' },
          accessible: { type: 'boolean' },
          wwns: { type: 'array', items: { type: 'string', pattern: '^(naa|eui|t10)\\.[0-9a-z]+$' } },
        },
      },
    },
    networks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'nativeId', 'name'],
        properties: { id, nativeId: id, name: { type: 'string' }, type: { type: 'string' } },
      },
    },
    warnings: strings,
  },
} as const;
