// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';
import { webcrypto } from 'node:crypto';
import { configure } from '@testing-library/react';

// jsdom has no crypto.subtle; the pages seal secrets with it as browsers do.
Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });

// The CI machine is shared with the other suites; wait for the UI as long as a slow machine needs.
configure({ asyncUtilTimeout: 5000 });
