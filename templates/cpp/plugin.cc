// The example plugin (see README.md): logs its configuration, marks every request it sees, answers
// 401 on a protected path prefix when the credential header is missing, optionally checks the
// credential with an HTTP call to an Istio cluster, and adds a header to every response.

#include <string>
#include <string_view>

#include "plugin_config.h"
#include "proxy_wasm_intrinsics.h"
#include "root_id.h"

namespace {

// Root id used in headers when the host gives none (Istio sets it to the WasmPlugin's pluginName).
constexpr std::string_view kDefaultRootId = "istio-wasm";
// Time the auth cluster has to answer.
constexpr uint32_t kAuthTimeoutMillis = 5000;

}  // namespace

// One per plugin configuration: holds the parsed configuration.
class PluginRootContext : public RootContext {
 public:
  explicit PluginRootContext(uint32_t id, std::string_view root_id) : RootContext(id, root_id) {}

  bool onConfigure(size_t configuration_size) override {
    std::string raw;
    if (configuration_size > 0) {
      raw = getBufferBytes(WasmBufferType::PluginConfiguration, 0, configuration_size)->toString();
    }
    logInfo("config: " + raw);
    std::string error;
    auto parsed = parsePluginConfig(raw, &error);
    if (!parsed) {
      logError("invalid configuration: " + error);
      return false;
    }
    config_ = *parsed;
    return true;
  }

  const PluginConfig& config() const { return config_; }

  std::string rootIdOrDefault() {
    std::string_view id = root_id();
    return std::string(id.empty() ? kDefaultRootId : id);
  }

 private:
  PluginConfig config_;
};

// One per HTTP stream; the SDK deletes it when the host deletes the stream's context.
class PluginContext : public Context {
 public:
  explicit PluginContext(uint32_t id, RootContext* root)
      : Context(id, root), root_(static_cast<PluginRootContext*>(root)) {}

  FilterHeadersStatus onRequestHeaders(uint32_t headers, bool end_of_stream) override;
  FilterHeadersStatus onResponseHeaders(uint32_t headers, bool end_of_stream) override;

 private:
  void forbid();

  PluginRootContext* root_;
};

static RegisterContextFactory register_plugin(CONTEXT_FACTORY(PluginContext), ROOT_FACTORY(PluginRootContext),
                                              PLUGIN_ROOT_ID);
// Also serve a proxy that gives no root id (or an empty pluginName).
static RegisterContextFactory register_plugin_default(CONTEXT_FACTORY(PluginContext),
                                                      ROOT_FACTORY(PluginRootContext), "");

FilterHeadersStatus PluginContext::onRequestHeaders(uint32_t, bool) {
  const PluginConfig& config = root_->config();
  std::string path = getRequestHeader(":path")->toString();
  // Show the upstream that the plugin ran.
  replaceRequestHeader("x-wasm-plugin-request", root_->rootIdOrDefault());

  if (path.compare(0, config.protected_prefix.size(), config.protected_prefix) != 0) {
    return FilterHeadersStatus::Continue;
  }

  auto credential = getRequestHeader(config.credential_header);
  if (credential->data() == nullptr) {
    logWarn("#" + std::to_string(id()) + " " + path + ": missing " + config.credential_header +
            " header, answering 401");
    HeaderStringPairs headers;
    headers.emplace_back("content-type", "text/plain");
    headers.emplace_back("www-authenticate", "Bearer");
    sendLocalResponse(401, "", "unauthorized: missing " + config.credential_header + " header\n", headers);
    return FilterHeadersStatus::StopIteration;
  }

  if (config.auth_cluster.empty()) {
    return FilterHeadersStatus::Continue;
  }
  HeaderStringPairs call_headers;
  call_headers.emplace_back(":method", "GET");
  call_headers.emplace_back(":path", config.auth_path);
  call_headers.emplace_back(":authority", config.authority());
  call_headers.emplace_back(config.credential_header, credential->toString());

  // The callback runs on the root context, possibly after this stream is gone: find the stream by
  // id, and make it the effective context before resuming or answering it.
  uint32_t stream_id = id();
  auto on_response = [stream_id](uint32_t response_headers, size_t, uint32_t) {
    Context* stream = getContext(stream_id);
    if (stream == nullptr) return;
    stream->setEffectiveContext();
    std::string status;
    // A failed call (timeout, unknown cluster, reset) arrives with no headers at all.
    if (response_headers > 0) {
      status = getHeaderMapValue(WasmHeaderMapType::HttpCallResponseHeaders, ":status")->toString();
    }
    if (status == "200") {
      continueRequest();
      return;
    }
    logWarn("#" + std::to_string(stream_id) + " credential rejected by the auth cluster (status " +
            (status.empty() ? std::string("none") : status) + ")");
    static_cast<PluginContext*>(stream)->forbid();
  };
  WasmResult result =
      root()->httpCall(config.auth_cluster, call_headers, "", {}, kAuthTimeoutMillis, on_response);
  if (result != WasmResult::Ok) {
    logError("#" + std::to_string(id()) + " http call to " + config.auth_cluster + " failed: " + toString(result));
    forbid();
  }
  // Wait for the call's response, which resumes the request or answers 403.
  return FilterHeadersStatus::StopIteration;
}

FilterHeadersStatus PluginContext::onResponseHeaders(uint32_t, bool) {
  addResponseHeader(root_->config().response_header, root_->rootIdOrDefault());
  return FilterHeadersStatus::Continue;
}

void PluginContext::forbid() {
  HeaderStringPairs headers;
  headers.emplace_back("content-type", "text/plain");
  sendLocalResponse(403, "", "forbidden\n", headers);
}
