export * from './redactor.js';
export * from './fixture.js';
export * from './http-exchange.js';
export * from './http-recorder.js';
export * from './http-replayer.js';
export * from './ssh-exchange.js';
export * from './ssh-recorder.js';
export * from './ssh-replayer.js';
export { VolatileTokens, LiveBindings } from './volatile-tokens.js';
