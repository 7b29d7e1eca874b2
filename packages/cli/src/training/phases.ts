import type { Io } from '../util/io.js';
import { note } from '../util/io.js';

/** Wall-clock seconds per phase of a command, announced on stderr as each starts. */
export class Phases {
  readonly seconds: Record<string, number> = {};
  private current: { name: string; t0: number } | null = null;
  private readonly start = performance.now();

  constructor(private readonly io: Io) {}

  /** End the current phase (if any) and start `name`. */
  begin(name: string, what = name): void {
    this.end();
    const at = ((performance.now() - this.start) / 1000).toFixed(0).padStart(4);
    note(this.io, `[${at} s] ${what}`);
    this.current = { name, t0: performance.now() };
  }

  end(): void {
    if (!this.current) return;
    this.seconds[this.current.name] = (this.seconds[this.current.name] ?? 0) + (performance.now() - this.current.t0) / 1000;
    this.current = null;
  }
}
