import type { BackendInfo, BackendRequest } from '@healthgpt/tensor-core';

/** The global options every tensor command honours. */
export interface GlobalOptions {
  backend: BackendRequest;
  threads?: number;
  progress: boolean;
}

/**
 * Load tensor-core (and TensorFlow.js with it) and start the backend the user asked for. Commands
 * that make no tensors never call this, so `--help`, `data` and the like start fast.
 */
export async function startBackend(g: GlobalOptions): Promise<BackendInfo> {
  const { initBackend } = await import('@healthgpt/tensor-core');
  return initBackend({ backend: g.backend, threads: g.threads });
}
