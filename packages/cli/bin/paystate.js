#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so nothing has to be built before use.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
