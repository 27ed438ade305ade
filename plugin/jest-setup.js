// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';
import { webcrypto } from 'node:crypto';

// jsdom has no crypto.subtle; the pages seal secrets with it as browsers do.
Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
