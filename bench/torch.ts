/** Running the PyTorch counterparts of the benchmarks (Debian's python3-torch), when installed. */
import { spawnSync } from 'node:child_process';

const CANDIDATES = [process.env.HEALTHGPT_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p));
let found: string | null | undefined;

/** A python that imports torch, or null. */
export function torchPython(): string | null {
  if (found !== undefined) return found;
  found = CANDIDATES.find((py) => spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) ?? null;
  return found;
}

export const TORCH_MISSING = 'PyTorch not installed (flock /tmp/apt.lock apt-get install -y python3-torch libopenblas0-pthread)';

/**
 * Run `script args…` with OpenBLAS at 2 threads (the scripts set intra-op threads to 1) and parse
 * the last line of its output as JSON; a string says why it did not run.
 */
export function runTorch<T>(script: string, args: string[]): T | string {
  const py = torchPython();
  if (!py) return TORCH_MISSING;
  const r = spawnSync(py, [script, ...args], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '2', OMP_NUM_THREADS: '1' }, timeout: 900_000 });
  if (r.status !== 0) return `PyTorch run failed: ${(r.stderr || r.error?.message || '').trim().slice(-300)}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}
