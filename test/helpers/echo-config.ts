/**
 * Reads the answer of test/fixtures/wat/echo-config.wat: its configuration bytes, root id,
 * filter name (plugin_name) and WASI environment, each as the plugin received it.
 */
export interface EchoedConfig {
  configuration: string;
  rootId: string;
  pluginName: string;
  env: Record<string, string>;
}

export function readEcho(body: Uint8Array): EchoedConfig {
  const text = Buffer.from(body).toString('utf8');
  const first = text.indexOf('\n');
  const second = text.indexOf('\n', first + 1);
  const third = text.indexOf('\n', second + 1);
  const env: Record<string, string> = {};
  for (const entry of text.slice(third + 1).split('\0')) {
    if (!entry) continue;
    const eq = entry.indexOf('=');
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { configuration: text.slice(0, first), rootId: text.slice(first + 1, second), pluginName: text.slice(second + 1, third), env };
}
