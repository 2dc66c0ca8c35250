/** The protection config's JSON Schema (draft 2020-12): the shape; units and policy limits are checked after it. */

const duration = { type: 'string', description: 'a duration: 90s, 5m, 4h, 1h30m' } as const;

/** An endpoint and how it is reached — a member's, an array's, a recovery plan's target and source. */
export const ENDPOINT_PROPERTIES = {
  endpoint: { type: 'string', minLength: 1, description: 'the adapter URL, as on the command line' },
  thumbprint: { type: 'string', description: 'TLS certificate pin (SHA-256 or SHA-1)' },
  insecure: { type: 'boolean', description: 'skip TLS verification (warns)' },
  caFile: { type: 'string' },
  passwordFile: { type: 'string', description: 'file holding the password (never the password itself)' },
  identity: { type: 'string', description: 'SSH private key file' },
  knownHosts: { type: 'string' },
  fingerprint: { type: 'string', description: 'SSH host key pin' },
} as const;

export const PROTECTION_CONFIG_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://drkit.dev/schema/protection-config-1.json',
  title: 'drkit protection config',
  type: 'object',
  additionalProperties: false,
  required: ['groups'],
  properties: {
    state: { type: 'string', description: 'state folder (job history); default drkit-state beside the config' },
    service: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxRuns: { type: 'integer', minimum: 1, description: 'runs at once, all groups (default 4)' },
        perEndpoint: { type: 'integer', minimum: 1, description: 'runs at once touching one endpoint (default 2)' },
        stopDeadline: {
          ...duration,
          description: 'on SIGTERM, how long running runs may take to finish (default 60s)',
        },
      },
    },
    alerts: {
      type: 'object',
      additionalProperties: false,
      properties: {
        webhook: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            url: { type: 'string', pattern: '^https?://' },
            secretFile: { type: 'string', description: 'shared secret for the X-Drkit-Signature HMAC' },
          },
        },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      required: ['listen'],
      properties: { listen: { type: 'string', description: 'host:port for /metrics and /healthz' } },
    },
    groups: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'target', 'members'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
          target: { type: 'string', minLength: 1, description: 'a target store: dir:<path>, azure://…' },
          targetOptions: {
            type: 'object',
            description: "the target's options, as their CLI flags in camelCase (files, not secrets)",
            additionalProperties: { type: ['string', 'boolean', 'number'] },
          },
          members: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['endpoint', 'machine'],
              properties: { ...ENDPOINT_PROPERTIES, machine: { type: 'string', minLength: 1 } },
            },
          },
          arrays: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['endpoint'],
              properties: ENDPOINT_PROPERTIES,
            },
          },
          appFailure: {
            enum: ['require', 'fallback-to-crash'],
            description: 'when an app point cannot be had: take it crash-consistent and say why (default), or fail',
          },
          freezeBudget: duration,
          changeTracking: {
            type: 'boolean',
            description: 'enable change tracking where the adapter can (default true)',
          },
          policy: {
            type: 'object',
            additionalProperties: false,
            properties: {
              crashInterval: duration,
              appInterval: duration,
              retention: duration,
              rpoThreshold: duration,
              resyncWindow: {
                type: 'string',
                description: 'daily off-hours window for resyncs, HH:MM-HH:MM local time',
              },
              maxRate: { type: 'string', description: 'source read limit per second: 50MiB, 1GB' },
            },
          },
        },
      },
    },
  },
} as const;
