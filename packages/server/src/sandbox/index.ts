export * from './faults.js';
export * from './serve.js';
export * from './tmetr-sandbox.js';
export * from './yookassa-sandbox.js';
export * from './wave-sandbox.js';
export * from './mtn-momo-sandbox.js';
export * from './orange-money-sandbox.js';
