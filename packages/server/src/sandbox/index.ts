export * from './faults.js';
export * from './serve.js';
export * from './tmetr-sandbox.js';
export * from './yookassa-sandbox.js';
