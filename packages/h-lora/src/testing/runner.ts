/** vitest's test registration, in one module so that the CommonJS build can swap it for a stub (see tsup.config.ts). */
export { describe, it } from 'vitest';
