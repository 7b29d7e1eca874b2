export { repoRoot, goldenDir, dataDir, requireDataDir } from './paths.js';
export { loadGolden, ioTensor, type Golden } from './golden.js';
export { compareClose, expectClose, expectEqualInts, expectWithinAllowance, float32SumErrorFactor, FLOAT32_UNIT_ROUNDOFF, type Tolerance, type CloseReport } from './tolerance.js';
export { expectNoLeaks, disposeDeep } from './leaks.js';
export { describeBackends, testBackends, useBackend, withoutNativePath, type TestBackend } from './backends.js';
export { killDuringSaves, type KillDuringSavesOptions, type KillReport, type KillSpec, type CustomKillSpec } from './kill/kill_during_saves.js';
export { wasmAndCpu, randomValues, maxAbsDiff, type CrossResult } from './cross_backend.js';
export { tempDir } from './temp.js';
export { generatorFailingAfter } from './failing_generator.js';
