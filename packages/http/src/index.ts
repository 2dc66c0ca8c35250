export * from './http-transport.js';
export * from './http-errors.js';
export * from './tls-policy.js';
export * from './undici-transport.js';
export * from './range-reader.js';
export * from './checked-https-agent.js';
