import type { Module, Generator } from '@healthgpt/tensor-core';
import { injectAdapters, adaptedLayers, setActiveAdapter, disableAdapters, enableAdapters } from '@healthgpt/h-lora';
import type { HealthGPTConfig } from '../config/parse.js';
import { ModelError } from '../errors.js';

/** Dotted paths of the decoder layers' Linear layers a plugin may wrap: `model.layers.{i}.….<target>`. */
export function pluginTarget(targets: readonly string[]): (path: string) => boolean {
  return (p) => /^model\.layers\.\d+\./.test(p) && targets.some((t) => p.endsWith(`.${t}`));
}

/**
 * Inject one adapter set per task that has a plugin, named after the task, into the decoder
 * layers only (never the vision tower, the projectors or lm_head). Returns the paths per task.
 */
export function injectPlugins(root: Module, config: HealthGPTConfig, gen: Generator): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, task] of config.tasks) {
    if (!task.plugin) continue;
    try {
      out.set(name, injectAdapters(root, { targets: pluginTarget(task.plugin.targetModules), kind: task.plugin.kind, config: task.plugin.config, name, exclude: ['lm_head'], gen }));
    } catch (e) {
      throw new ModelError('CONFIG', `task '${name}': cannot inject its plugin (${(e as Error).message})`, { path: `tasks.${name}.plugin`, cause: e });
    }
  }
  return out;
}

/** Make `task`'s plugin the one that runs (or run the bare decoder when the task has none). */
export function activatePlugin(root: Module, config: HealthGPTConfig, task: string): void {
  const layers = adaptedLayers(root);
  if (!layers.length) return;
  if (!config.tasks.get(task)?.plugin) {
    disableAdapters(root);
    return;
  }
  enableAdapters(root);
  setActiveAdapter(root, task);
}

/** The adapter active now (to restore after a forward that switched tasks), or null. */
export function activePlugin(root: Module): { name: string | null; enabled: boolean } | null {
  const layers = adaptedLayers(root);
  if (!layers.length) return null;
  const [, first] = layers[0];
  return { name: first.activeAdapter, enabled: first.enabled };
}

/** Put back what `activePlugin` returned. */
export function restorePlugin(root: Module, state: { name: string | null; enabled: boolean } | null): void {
  if (!state) return;
  if (state.name !== null) setActiveAdapter(root, state.name);
  (state.enabled ? enableAdapters : disableAdapters)(root);
}
