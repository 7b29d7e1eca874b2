import { HLoraError } from '../errors.js';
import type { AdapterConfig, ResolvedAdapterConfig } from './kind.js';

export interface ResolveOptions {
  /** The kind has experts: `loraNums` is required and must divide `r`. */
  routed: boolean;
  /** The kind implements peft's `use_rslora` (scaling α/√r). Default false: `useRslora: true` is refused. */
  rslora?: boolean;
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * The shared config checks and peft's defaults: `r` a positive integer (default 8), `loraAlpha`
 * finite (default 8), `loraDropout` in [0, 1) (default 0), `useRslora` a boolean (default false,
 * refused unless the kind implements it); with `routed`, `loraNums` a positive integer dividing `r`,
 * otherwise `loraNums` absent or 1. Errors are `HLoraError` `CONFIG` with `path` the field.
 */
export function resolveConfig(kind: string, config: AdapterConfig, { routed, rslora = false }: ResolveOptions): ResolvedAdapterConfig {
  HLoraError.check(config !== null && typeof config === 'object', 'CONFIG', () => `'config' of adapter kind '${kind}' must be an object, got ${String(config)}`);
  const { r = 8, loraAlpha = 8, loraNums, loraDropout = 0, useRslora = false } = config;
  const check = (ok: boolean, field: string, why: string, got: unknown) =>
    HLoraError.check(ok, 'CONFIG', () => `'config.${field}' of adapter kind '${kind}' ${why}, got ${JSON.stringify(got)}`, { path: field });
  check(isPosInt(r), 'r', 'must be a positive integer', r);
  check(typeof loraAlpha === 'number' && Number.isFinite(loraAlpha), 'loraAlpha', 'must be a finite number', loraAlpha);
  check(typeof loraDropout === 'number' && loraDropout >= 0 && loraDropout < 1, 'loraDropout', 'must be in [0, 1)', loraDropout);
  check(typeof useRslora === 'boolean', 'useRslora', 'must be a boolean', useRslora);
  check(!useRslora || rslora, 'useRslora', 'is not supported (this kind has its own scaling rule)', useRslora);
  if (routed) {
    check(isPosInt(loraNums), 'loraNums', 'must be a positive integer (the number of experts)', loraNums);
    check(r % loraNums! === 0, 'loraNums', `must divide r = ${r} (each expert gets rank r / loraNums)`, loraNums);
    return { r, loraAlpha, loraNums: loraNums!, loraDropout, useRslora };
  }
  check(loraNums === undefined || loraNums === 1, 'loraNums', 'must be absent or 1 (this kind has no experts)', loraNums);
  return { r, loraAlpha, loraNums: 1, loraDropout, useRslora };
}

/** peft's LoRA scaling: α/√r with `use_rslora`, else α/r. */
export const loraScaling = (c: ResolvedAdapterConfig): number => (c.useRslora ? c.loraAlpha / Math.sqrt(c.r) : c.loraAlpha / c.r);
