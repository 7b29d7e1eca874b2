#!/usr/bin/env node
import { runCli } from './run.js';

// The `healthgpt` bin. The exit code is set (not forced with process.exit) so pending output is
// flushed; TensorFlow.js' wasm workers are unref'd and do not hold the process open.
runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`healthgpt: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 70;
  },
);
