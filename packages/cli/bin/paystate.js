#!/usr/bin/env node
// The compiled CLI (`npm run build`, also run by `npm ci` through `prepare`): no TypeScript loader at start-up.
await import('../dist/main.js');
