// The fields and rules Grafana's plugin.json schema and the plugin validator check offline.
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import pluginJson from './plugin.json';
import packageJson from '../package.json';

const src = __dirname;
type Include = { type: string; name: string; path?: string; role?: string; addToNav?: boolean; defaultNav?: boolean };
const includes = pluginJson.includes as Include[];

describe('plugin.json', () => {
  it('has the required top-level fields with valid values', () => {
    expect(pluginJson.type).toBe('app');
    expect(pluginJson.id).toBe('blocktrust-monitor-app');
    expect(pluginJson.id).toMatch(/^[0-9a-z]+-([0-9a-z]+-)?app$/);
    expect(pluginJson.name.trim()).not.toBe('');
    expect(pluginJson.info.author.name.trim()).not.toBe('');
    expect(pluginJson.info.description.trim()).not.toBe('');
    expect(pluginJson.info.keywords.length).toBeGreaterThan(0);
    expect(pluginJson.info.version).toBe('%VERSION%');
    expect(pluginJson.info.updated).toBe('%TODAY%');
  });

  it('points at logos that exist', () => {
    for (const logo of [pluginJson.info.logos.small, pluginJson.info.logos.large]) {
      expect(fs.existsSync(path.join(src, logo))).toBe(true);
    }
  });

  it('declares a Grafana dependency that the pinned @grafana packages satisfy', () => {
    const range = pluginJson.dependencies.grafanaDependency;
    expect(range).toMatch(
      /^(<=|>=|<|>|=|~|\^)?([0-9]+)(\.[0-9x*]+)(\.[0-9x*]+)?(\s(<=|>=|<|=>)?([0-9]+)(\.[0-9x]+)(\.[0-9x]+)?)?$/
    );
    const pinned = packageJson.dependencies['@grafana/data'];
    expect(semver.valid(pinned)).toBe(pinned);
    expect(semver.satisfies(pinned, range)).toBe(true);
    for (const pkg of ['@grafana/ui', '@grafana/runtime', '@grafana/schema', '@grafana/i18n'] as const) {
      expect(packageJson.dependencies[pkg]).toBe(pinned);
    }
  });

  it('includes valid pages and the two dashboards, which exist', () => {
    for (const inc of includes) {
      expect(['page', 'dashboard', 'panel', 'datasource']).toContain(inc.type);
      expect(inc.name.trim()).not.toBe('');
      if (inc.role) {
        expect(['Admin', 'Editor', 'Viewer']).toContain(inc.role);
      }
    }
    expect(includes.filter((i) => i.defaultNav)).toHaveLength(1);
    const pages = includes.filter((i) => i.type === 'page').map((i) => [i.path, i.role]);
    expect(pages).toEqual(
      expect.arrayContaining([
        ['/a/%PLUGIN_ID%/incidents', 'Viewer'],
        ['/a/%PLUGIN_ID%/slos', 'Viewer'],
        ['/a/%PLUGIN_ID%/config', 'Admin'],
      ])
    );
    const dashboards = includes.filter((i) => i.type === 'dashboard');
    expect(dashboards.map((d) => d.path).sort()).toEqual(['dashboards/check-detail.json', 'dashboards/overview.json']);
    for (const d of dashboards) {
      const file = path.join(src, d.path!);
      expect(fs.existsSync(file)).toBe(true);
      const dashboard = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(['bt-overview', 'bt-check-detail']).toContain(dashboard.uid);
      expect(d.addToNav).toBe(true);
    }
  });
});
