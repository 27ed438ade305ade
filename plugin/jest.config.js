// Dates in tests are written in UTC.
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true } } },
];

module.exports = {
  ...base,
  // d3-color and friends ship only .mjs now; the template's transform covers .js/.ts only.
  transform: { ...base.transform, '^.+\\.mjs$': swc },
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, 'd3-.*', 'internmap'])],
  testTimeout: 30000,
  moduleFileExtensions: ['js', 'mjs', 'cjs', 'jsx', 'ts', 'tsx', 'json', 'node'],
};
