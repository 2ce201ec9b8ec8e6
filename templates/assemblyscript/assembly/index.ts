// The example plugin (docs/example-plugin.md): guards a path prefix with a credential header,
// optionally checks the credential with an HTTP call to an Istio cluster, tags requests and
// responses. Configured by the WasmPlugin's pluginConfig, e.g.
//   { "protectedPrefix": "/v2", "authCluster": "outbound|8080||auth.default.svc.cluster.local" }

import {
  Action,
  HttpContext,
  JsonValue,
  RootContext,
  header,
  logError,
  logInfo,
  logWarn,
  parseJson,
  registerRootContext,
} from "create-istio-wasm/assembly";

// The proxy_on_* callbacks and the ABI version marker the proxy looks for.
export * from "create-istio-wasm/assembly/dispatch";

const DEFAULT_NAME = "istio-wasm";
const AUTH_TIMEOUT_MS: u32 = 5000;

class Config {
  protectedPrefix: string = "/v2";
  credentialHeader: string = "authorization";
  authCluster: string = "";
  authPath: string = "/check";
  authAuthority: string = "";
  responseHeader: string = "x-wasm-plugin";
}

let configError = false;

/** The string member `key` of `json`, `fallback` when absent; flags configError when not a string. */
function stringField(json: JsonValue, key: string, fallback: string): string {
  const v = json.get(key);
  if (v === null) return fallback;
  if (v.isString()) return v.str;
  logError("config: " + key + " must be a string");
  configError = true;
  return fallback;
}

/** `outbound|8080||auth.default.svc.cluster.local` -> `auth.default.svc.cluster.local`. */
function clusterHost(cluster: string): string {
  const bar = cluster.lastIndexOf("|");
  return bar >= 0 ? cluster.substring(bar + 1) : cluster;
}

function isBlank(text: string): bool {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return false;
  }
  return true;
}

class PluginRoot extends RootContext {
  config: Config = new Config();

  /** The plugin's name as the proxy knows it (Istio: pluginName). */
  get name(): string {
    return this.rootId.length > 0 ? this.rootId : DEFAULT_NAME;
  }

  onConfigure(pluginConfigurationSize: u32): bool {
    const text = this.getPluginConfiguration();
    logInfo("config: " + text);
    const config = new Config();
    if (!isBlank(text)) {
      const json = parseJson(text);
      if (json === null || !json.isObject()) {
        logError("config: pluginConfig must be a JSON object");
        return false;
      }
      configError = false;
      config.protectedPrefix = stringField(json, "protectedPrefix", config.protectedPrefix);
      config.credentialHeader = stringField(json, "credentialHeader", config.credentialHeader);
      config.authCluster = stringField(json, "authCluster", config.authCluster);
      config.authPath = stringField(json, "authPath", config.authPath);
      config.authAuthority = stringField(json, "authAuthority", config.authAuthority);
      config.responseHeader = stringField(json, "responseHeader", config.responseHeader);
      if (configError) return false;
    }
    if (config.authAuthority.length == 0) config.authAuthority = clusterHost(config.authCluster);
    this.config = config;
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new PluginHttp(contextId, this);
  }
}

class PluginHttp extends HttpContext {
  constructor(contextId: u32, public plugin: PluginRoot) {
    super(contextId, plugin);
  }

  onHttpRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const config = this.plugin.config;
    const path = this.getHttpRequestHeader(":path");
    this.setHttpRequestHeader("x-wasm-plugin-request", this.plugin.name);

    if (path === null || !path.startsWith(config.protectedPrefix)) return Action.Continue;

    const credential = this.getHttpRequestHeader(config.credentialHeader);
    if (credential === null) {
      logWarn("rejecting " + path + ": missing " + config.credentialHeader + " header");
      this.sendHttpResponse(
        401,
        [header("content-type", "text/plain"), header("www-authenticate", "Bearer")],
        "unauthorized: missing " + config.credentialHeader + " header\n",
      );
      return Action.Pause;
    }

    if (config.authCluster.length == 0) return Action.Continue;

    const token = this.dispatchHttpCall(
      config.authCluster,
      [
        header(":method", "GET"),
        header(":path", config.authPath),
        header(":authority", config.authAuthority),
        header(config.credentialHeader, credential),
      ],
      "",
      [],
      AUTH_TIMEOUT_MS,
    );
    if (token == 0) {
      logError("auth call failed: " + config.authCluster);
      this.forbid();
    }
    return Action.Pause;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    const status = numHeaders > 0 ? this.getHttpCallResponseHeader(":status") : null;
    if (status !== null && status == "200") {
      this.resumeHttpRequest();
      return;
    }
    logWarn("auth check failed: " + (status !== null ? status : "no response"));
    this.forbid();
  }

  onHttpResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.addHttpResponseHeader(this.plugin.config.responseHeader, this.plugin.name);
    return Action.Continue;
  }

  forbid(): void {
    this.sendHttpResponse(403, [header("content-type", "text/plain")], "forbidden\n");
  }
}

registerRootContext((contextId: u32): RootContext => new PluginRoot(contextId), "");
