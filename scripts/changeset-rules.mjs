// Rules for the files under .changeset/: each names at least one package of this workspace that
// npm publishes (not private, not in the config's `ignore` list, which `changeset version`
// refuses to mix with the others), with a bump of patch, minor or major, and says what changed.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** Problems of the changesets under `root`/.changeset, each naming its file and line. */
export function changesetProblems(root) {
  const dir = join(root, '.changeset');
  if (!existsSync(dir)) return [];
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const ignored = new Set(config.ignore ?? []);
  const packages = new Map();
  for (const d of readdirSync(join(root, 'packages'))) {
    const file = join(root, 'packages', d, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      packages.set(pkg.name, pkg);
    }
  }
  const problems = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md').sort()) {
    const lines = readFileSync(join(dir, name), 'utf8').split('\n');
    const at = (i) => `.changeset/${name}:${i + 1}`;
    if (lines[0].trim() !== '---') {
      problems.push(`${at(0)}: a changeset starts with a --- front matter line`);
      continue;
    }
    const end = lines.indexOf('---', 1);
    if (end < 0) {
      problems.push(`${at(0)}: the front matter is never closed with ---`);
      continue;
    }
    if (end === 1) problems.push(`${at(1)}: names no package`);
    for (let i = 1; i < end; i++) {
      const m = /^\s*["']?(@?[^"':\s]+)["']?\s*:\s*(\S+)\s*$/.exec(lines[i]);
      if (!m) {
        problems.push(`${at(i)}: expected "<package>": patch|minor|major, got ${JSON.stringify(lines[i])}`);
        continue;
      }
      const [, pkg, bump] = m;
      if (!['patch', 'minor', 'major'].includes(bump)) problems.push(`${at(i)}: ${pkg}: bump must be patch, minor or major, got ${bump}`);
      if (!packages.has(pkg)) problems.push(`${at(i)}: ${pkg} is not a package of this workspace`);
      else if (ignored.has(pkg) || packages.get(pkg).private) problems.push(`${at(i)}: ${pkg} is not published (private or ignored in .changeset/config.json); leave it out`);
    }
    if (!lines.slice(end + 1).some((l) => l.trim())) problems.push(`${at(end)}: says nothing below the front matter (what changed, for the changelog)`);
  }
  return problems;
}
