// What every public package under packages/* must carry so that it installs well on its own:
// the repository's metadata (from the root package.json, the one place it is spelled), keywords,
// engines, the LICENSE, and TensorFlow.js as a peer dependency exactly where its shipped code
// needs it. Used by check-publish.mjs (which reports) and by `node scripts/package-rules.mjs --fix`
// (which writes the metadata fields and copies LICENSE into a package that lacks them).
import { existsSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;
const rootPkg = () => JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Public packages: every packages/<dir>/package.json that is not private. */
export function publicPackages() {
  return readdirSync(join(root, 'packages'))
    .sort()
    .filter((dir) => existsSync(join(root, 'packages', dir, 'package.json')))
    .map((dir) => ({ dir, pkgDir: join(root, 'packages', dir), pkg: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => !pkg.private);
}

/** repository / homepage / bugs of the package in folder `dir`, derived from the root's. */
export function expectedMetadata(dir) {
  const r = rootPkg();
  const base = r.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
  return {
    repository: { type: 'git', url: r.repository.url, directory: `packages/${dir}` },
    homepage: `${base}/tree/main/packages/${dir}#readme`,
    bugs: { url: r.bugs.url },
  };
}

/** The peer dependencies on TensorFlow.js that tensor-core declares (optional there). */
export function tfjsPeers() {
  const core = JSON.parse(readFileSync(join(root, 'packages', 'tensor-core', 'package.json'), 'utf8'));
  return Object.fromEntries(Object.entries(core.peerDependencies ?? {}).filter(([n]) => n.startsWith('@tensorflow/')));
}

/** True when the package's built code loads tensor-core's main entry (and so TensorFlow.js). */
export function distNeedsTfjs(pkgDir) {
  const dist = join(pkgDir, 'dist');
  if (!existsSync(dist)) return false;
  const files = readdirSync(dist, { recursive: true }).map(String).filter((f) => /\.(c?js|mjs)$/.test(f));
  return files.some((f) => /(?:from\s*|require\(\s*|import\(\s*)["']@healthgpt\/tensor-core["']/.test(readFileSync(join(dist, f), 'utf8')));
}

/** Problems with metadata, LICENSE and the TensorFlow.js peers of one public package. */
export function packageRuleProblems({ dir, pkgDir, pkg }) {
  const problems = [];
  const want = expectedMetadata(dir);
  for (const field of ['repository', 'homepage', 'bugs'])
    if (JSON.stringify(pkg[field]) !== JSON.stringify(want[field])) problems.push(`${field} must be ${JSON.stringify(want[field])} (\`node scripts/package-rules.mjs --fix\`)`);
  if (!Array.isArray(pkg.keywords) || !pkg.keywords.includes('healthgpt') || pkg.keywords.length < 3)
    problems.push('keywords must include "healthgpt" and at least two words saying what the package is');
  if (pkg.engines?.node !== rootPkg().engines.node) problems.push(`engines.node must be ${JSON.stringify(rootPkg().engines.node)}`);
  if (pkg.license !== rootPkg().license) problems.push(`license must be ${rootPkg().license}`);
  const license = join(pkgDir, 'LICENSE');
  if (!existsSync(license) || readFileSync(license, 'utf8') !== readFileSync(join(root, 'LICENSE'), 'utf8'))
    problems.push('LICENSE must be a copy of the root LICENSE (npm packs it into the tarball)');
  const peers = tfjsPeers();
  if (pkg.name === '@healthgpt/tensor-core') {
    // Optional here, so installing a tfjs-free package (vl-health) pulls no TensorFlow.js.
    for (const name of Object.keys(peers))
      if (!pkg.peerDependenciesMeta?.[name]?.optional) problems.push(`peerDependenciesMeta.${name}.optional must be true (the ./base entry needs no TensorFlow.js)`);
  } else if (distNeedsTfjs(pkgDir)) {
    for (const [name, range] of Object.entries(peers)) {
      if (pkg.peerDependencies?.[name] !== range) problems.push(`its code loads @healthgpt/tensor-core, so peerDependencies.${name} must be ${JSON.stringify(range)} (as tensor-core's)`);
      if (pkg.peerDependenciesMeta?.[name]?.optional) problems.push(`peerDependenciesMeta.${name} must not be optional: its code needs TensorFlow.js`);
    }
  } else {
    for (const name of Object.keys(peers))
      if (pkg.peerDependencies?.[name]) problems.push(`peerDependencies.${name}: its code never loads TensorFlow.js (only @healthgpt/tensor-core/base), so it must not ask for it`);
  }
  return problems;
}

/** Writes the derived metadata fields (after "license") and copies LICENSE where missing. */
function fix() {
  for (const { dir, pkgDir, pkg } of publicPackages()) {
    const want = expectedMetadata(dir);
    const next = {};
    for (const [k, v] of Object.entries(pkg)) {
      if (k in want) continue;
      next[k] = v;
      if (k === 'license') Object.assign(next, want);
    }
    if (!('repository' in next)) Object.assign(next, want);
    if (!next.keywords) next.keywords = ['healthgpt', 'medical-imaging', 'tensorflowjs'];
    writeFileSync(join(pkgDir, 'package.json'), `${JSON.stringify(next, null, 2)}\n`);
    copyFileSync(join(root, 'LICENSE'), join(pkgDir, 'LICENSE'));
    console.log(`fixed ${pkg.name}`);
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname && process.argv.includes('--fix')) fix();
