#!/usr/bin/env node
// The public API of every public package, recorded. For each entry point of each package under
// packages/* ("." and each subpath export: ./base, ./testing, …) api-extractor reads the built
// .d.ts and writes a report, `packages/<dir>/api/<entry>.api.md`, that is checked in. `npm test`
// runs this in check mode: a surface that differs from its report fails, with the diff, so that a
// change to what a package exports is seen in review. After a deliberate change:
//   npm run build && node scripts/check-api.mjs --update
// and commit the reports. Needs `npm run build` first.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { publicPackages, root } from './package-rules.mjs';

const update = process.argv.includes('--update');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
let failed = 0;

/** The .d.ts of each entry point ("index" for "."), from the package's exports. */
function entryPoints(pkg) {
  return Object.entries(pkg.exports ?? {})
    .filter(([k]) => k !== './package.json')
    .map(([k, v]) => ({ name: k === '.' ? 'index' : k.slice(2).replaceAll('/', '-'), types: v.import?.types ?? v.types }));
}

for (const { dir, pkgDir, pkg } of publicPackages()) {
  if (only.length && !only.includes(dir)) continue;
  const apiDir = join(pkgDir, 'api');
  const tmp = join(root, '.tmp', 'api', dir);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const expected = new Set();
  if (update) mkdirSync(apiDir, { recursive: true });
  for (const entry of entryPoints(pkg)) {
    const reportFileName = `${entry.name}.api.md`;
    expected.add(reportFileName);
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: pkgDir,
        mainEntryPointFilePath: join(pkgDir, entry.types),
        compiler: {
          overrideTsconfig: {
            compilerOptions: { target: 'es2022', module: 'node16', moduleResolution: 'node16', strict: true, skipLibCheck: true, types: ['node'], lib: ['es2022'] },
            files: [join(pkgDir, entry.types)],
          },
        },
        apiReport: { enabled: true, reportFileName, reportFolder: apiDir, reportTempFolder: tmp },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: 'warning' } },
          extractorMessageReporting: {
            default: { logLevel: 'none' },
            'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: false },
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
        },
        newlineKind: 'lf',
      },
      configObjectFullPath: join(pkgDir, 'api-extractor.json'),
      packageJsonFullPath: join(pkgDir, 'package.json'),
    });
    const messages = [];
    const result = Extractor.invoke(config, {
      localBuild: update,
      showVerboseMessages: false,
      messageCallback: (m) => {
        if (m.logLevel === 'error' || m.logLevel === 'warning') messages.push(m.formatMessageWithLocation(pkgDir));
        m.handled = true;
      },
    });
    const label = `${pkg.name}${entry.name === 'index' ? '' : `/${entry.name}`}`;
    if (result.apiReportChanged && !update) {
      failed++;
      console.log(`✗ ${label}: the public API differs from api/${reportFileName}`);
      const diff = spawnSync('git', ['diff', '--no-index', '--no-color', join(apiDir, reportFileName), join(tmp, reportFileName)], { encoding: 'utf8' });
      console.log(diff.stdout.split('\n').slice(0, 80).join('\n'));
      console.log('  (a deliberate change? `npm run build && node scripts/check-api.mjs --update`, then commit the report)');
    } else if (!result.succeeded && messages.length) {
      failed++;
      console.log(`✗ ${label}: api-extractor could not read the declarations`);
      for (const m of messages.slice(0, 20)) console.log(`    ${m}`);
    } else console.log(`✓ ${label}${update && result.apiReportChanged ? ' (report updated)' : ''}`);
  }
  // A report left behind by an entry point that no longer exists is stale.
  for (const f of existsSync(apiDir) ? readdirSync(apiDir) : [])
    if (!expected.has(f)) {
      if (update) rmSync(join(apiDir, f));
      else {
        failed++;
        console.log(`✗ ${pkg.name}: api/${f} belongs to no entry point (remove it with --update)`);
      }
    }
  rmSync(tmp, { recursive: true, force: true });
}
if (failed) {
  console.error(`${failed} API report check(s) failed`);
  process.exit(1);
}
