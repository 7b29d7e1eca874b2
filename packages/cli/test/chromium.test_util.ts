import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs it when missing); `HEALTHGPT_CHROMIUM` names another. */
export function chromiumPath(): string {
  const p = process.env.HEALTHGPT_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(p)) throw new Error(`no Chromium at ${p}: apt-get install chromium (as .ci/run does), or set HEALTHGPT_CHROMIUM`);
  return p;
}

/**
 * Headless Chromium with the flags this machine needs: no sandbox (CI runs as root), no GPU, and
 * no background networking, component updates, sync or QUIC (the network is closed here; without
 * these, Chromium keeps trying to reach its services). Playwright gives it a fresh profile folder.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
