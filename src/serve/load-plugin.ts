import { CliError, messageOf } from '../errors.js';
import { Plugin, compilePluginModule, type PluginOptions } from '../host/index.js';
import type { PluginSpec } from './chain-order.js';
import { readBytesAsync } from '../util/read-bytes.js';

/** What serve and replay configure a plugin with, from its spec. */
export type ConfiguredSpec = Pick<PluginSpec, 'name' | 'wasmPath' | 'pluginConfig' | 'rootId' | 'envoyName' | 'env' | 'failStrategy'>;

/**
 * Reads, compiles and starts a plugin of a chain as Envoy would configure it: its root id, its filter
 * name as the plugin_name property, its configuration, env and fail strategy; `options` adds the
 * runner's own settings (dispatcher, tracing, log level…). A module that cannot be read is
 * WASM_MISSING with `hint`.
 */
export async function loadConfiguredPlugin(spec: ConfiguredSpec, hint: string, options: Omit<PluginOptions, 'module' | 'name' | 'rootId' | 'pluginConfig' | 'env' | 'failStrategy' | 'properties'>): Promise<Plugin> {
  let bytes: Uint8Array;
  try {
    bytes = await readBytesAsync(spec.wasmPath);
  } catch (error) {
    throw new CliError('WASM_MISSING', `cannot read the module of ${spec.name} (${spec.wasmPath}): ${messageOf(error)}`, { hint });
  }
  return Plugin.load({
    ...options,
    module: await compilePluginModule(bytes, spec.wasmPath),
    name: spec.name,
    rootId: spec.rootId,
    ...(spec.envoyName !== undefined ? { properties: { plugin_name: spec.envoyName } } : {}),
    pluginConfig: spec.pluginConfig,
    env: spec.env,
    failStrategy: spec.failStrategy,
  });
}
