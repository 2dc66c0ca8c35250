export * from './redactor.js';
export * from './fixture.js';
export * from './http-exchange.js';
export * from './http-recorder.js';
export * from './http-replayer.js';
