import pkg from '../package.json' with { type: 'json' };

/** This package's version (inlined at build time). */
export const VERSION: string = pkg.version;
