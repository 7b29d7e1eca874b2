// vitest setup (every test file): wait for the default backend, so tests outside
// `describeBackends` run on an initialised one.
import { tf } from '@healthgpt/tensor-core';

await tf.ready();
