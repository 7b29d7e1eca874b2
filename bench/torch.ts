/** Running the PyTorch counterparts of the benchmarks (Debian's python3-torch), when installed. */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

const CANDIDATES = [process.env.HEALTHGPT_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p));
let found: string | null | undefined;

/** A python that imports torch, or null. */
export function torchPython(): string | null {
  if (found !== undefined) return found;
  found = CANDIDATES.find((py) => spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) ?? null;
  return found;
}

export const TORCH_MISSING = 'PyTorch not installed (flock /tmp/apt.lock apt-get install -y python3-torch libopenblas0-pthread)';

/** The environment the PyTorch twins run in: OpenBLAS at 2 threads (the scripts set intra-op threads to 1). */
const torchEnv = () => ({ ...process.env, OPENBLAS_NUM_THREADS: '2', OMP_NUM_THREADS: '1' });

/**
 * Run `script args…` with OpenBLAS at 2 threads (the scripts set intra-op threads to 1) and parse
 * the last line of its output as JSON; a string says why it did not run.
 */
export function runTorch<T>(script: string, args: string[]): T | string {
  const py = torchPython();
  if (!py) return TORCH_MISSING;
  const r = spawnSync(py, [script, ...args], { encoding: 'utf8', env: torchEnv(), timeout: 900_000 });
  if (r.status !== 0) return `PyTorch run failed: ${(r.stderr || r.error?.message || '').trim().slice(-300)}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

/** A PyTorch twin kept running between requests: one JSON line in, one JSON line out (see bench/train_decoder.py). */
export interface TorchSession<Ready> {
  /** The first line the script printed (what it loaded). */
  ready: Ready;
  /** Send one request and wait for its one-line JSON reply. */
  request<T>(msg: unknown): Promise<T>;
  /** Close its input and wait for it to exit. */
  close(): Promise<void>;
}

/**
 * Start `script args…` in the same environment as `runTorch`, for a benchmark that alternates
 * with it in many short rounds without paying its interpreter, torch import and model load each
 * time; a string says why it did not start.
 */
export async function startTorch<Ready>(script: string, args: string[]): Promise<TorchSession<Ready> | string> {
  const py = torchPython();
  if (!py) return TORCH_MISSING;
  const child = spawn(py, [script, ...args], { env: torchEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  // Writing to a process that has died fails with EPIPE; the next reply then reports why it died.
  child.stdin.on('error', () => {});
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', (e) => ((stderr += String(e)), resolve()));
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => {
    const { value, done } = await lines.next();
    if (done) await exited; // its stderr is complete once it has closed
    if (done) throw new Error(`PyTorch run failed: ${stderr.trim().slice(-300) || 'it exited without a reply'}`);
    return JSON.parse(value as string) as T;
  };
  let ready: Ready;
  try {
    ready = await next<Ready>();
  } catch (e) {
    child.kill();
    return (e as Error).message;
  }
  return {
    ready,
    request: <T>(msg: unknown) => {
      child.stdin.write(JSON.stringify(msg) + '\n');
      return next<T>();
    },
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
