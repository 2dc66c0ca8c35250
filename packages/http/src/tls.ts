// `@drkit/http/tls`: the TLS policy and the certificate-checking agent alone, for clients that
// send through Node's own https (the Azure store's SDK) — importing them loads no undici.
export * from './tls-policy.js';
export * from './checked-https-agent.js';
