#!/usr/bin/env node
// After `changeset version`: gives each prebuilt native package (packages/<pkg>/npm/<platform>/,
// outside the workspaces, so changesets does not see it) its package's new version, and pins that
// version in the package's optionalDependencies. `npm run version-packages` runs it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const write = (file, json) => writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
for (const dir of readdirSync(join(root, 'packages'))) {
  const npmDir = join(root, 'packages', dir, 'npm');
  if (!existsSync(npmDir)) continue;
  const pkgFile = join(root, 'packages', dir, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  for (const key of readdirSync(npmDir)) {
    const file = join(npmDir, key, 'package.json');
    const platform = JSON.parse(readFileSync(file, 'utf8'));
    if (platform.version !== pkg.version) console.log(`${platform.name}: ${platform.version} → ${pkg.version}`);
    write(file, { ...platform, version: pkg.version });
    pkg.optionalDependencies = { ...pkg.optionalDependencies, [platform.name]: pkg.version };
  }
  write(pkgFile, pkg);
}
