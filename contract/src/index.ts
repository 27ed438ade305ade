// The contract between the agent, the database and the Grafana plugin: one definition of each shared rule.
// Web-standard TypeScript; zod is its only dependency.
export * from './conditions.ts';
export * from './defaults.ts';
export * from './intents.ts';
export * from './limits.ts';
export * from './names.ts';
export * from './results.ts';
export * from './sealed.ts';
export * from './slo.ts';
export * from './vocabulary.ts';
