// Reading a package README as the consumer check needs it: its example and its relative links.

/** Fenced code blocks removed, and inline code spans, so only prose links remain. */
const prose = (md) => md.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');

/** The README's example: the first ```ts block after the "## Example" heading, else the first ```ts block. */
export function readmeExample(md) {
  const heading = md.search(/^## Example\b/m);
  const from = heading >= 0 ? heading : 0;
  const m = /^```ts\n([\s\S]*?)^```/m.exec(md.slice(from));
  return m ? m[1] : undefined;
}

/** Relative targets of the README's markdown links and images (no URLs, no in-page anchors). */
export function readmeLinks(md) {
  const links = [];
  for (const m of prose(md).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    links.push(target);
  }
  return links;
}
