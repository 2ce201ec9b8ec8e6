// The example plugin (see README.md): logs its configuration, marks every request it sees, answers
// 401 on a protected path prefix when the credential header is missing, optionally checks the
// credential with an HTTP call to an Istio cluster, and adds a header to every response.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

const (
	// Root id used in headers when the host gives none (Istio sets it to the WasmPlugin's pluginName).
	defaultRootID = "istio-wasm"
	// Time the auth cluster has to answer, in milliseconds.
	authTimeoutMillis = 5000
)

// main is not called in a reactor module (-buildmode=c-shared); init registers the plugin.
func main() {}

func init() {
	proxywasm.SetVMContext(&vmContext{})
}

// config is pluginConfig, as JSON. Every key is optional.
type config struct {
	ProtectedPrefix  string `json:"protectedPrefix"`
	CredentialHeader string `json:"credentialHeader"`
	AuthCluster      string `json:"authCluster"`
	AuthPath         string `json:"authPath"`
	AuthAuthority    string `json:"authAuthority"`
	ResponseHeader   string `json:"responseHeader"`
}

func defaultConfig() config {
	return config{
		ProtectedPrefix:  "/v2",
		CredentialHeader: "authorization",
		AuthPath:         "/check",
		ResponseHeader:   "x-wasm-plugin",
	}
}

// parseConfig: empty means defaults; anything but a JSON object is an error.
func parseConfig(raw []byte) (config, error) {
	conf := defaultConfig()
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return conf, nil
	}
	if trimmed[0] != '{' {
		return conf, errors.New("the configuration must be a JSON object")
	}
	if err := json.Unmarshal(trimmed, &conf); err != nil {
		return conf, err
	}
	return conf, nil
}

// authority is the :authority of the auth call: configured, or the host part of an Istio cluster
// name (outbound|8080||auth.default.svc.cluster.local -> auth.default.svc.cluster.local).
func (c config) authority() string {
	if c.AuthAuthority != "" {
		return c.AuthAuthority
	}
	parts := strings.Split(c.AuthCluster, "|")
	if len(parts) >= 4 && parts[3] != "" {
		return parts[3]
	}
	return c.AuthCluster
}

// vmContext is the Wasm VM; it creates one pluginContext per plugin configuration.
type vmContext struct {
	types.DefaultVMContext
}

func (*vmContext) NewPluginContext(contextID uint32) types.PluginContext {
	return &pluginContext{conf: defaultConfig(), rootID: defaultRootID}
}

// pluginContext holds the parsed configuration and creates an httpContext per HTTP stream.
type pluginContext struct {
	types.DefaultPluginContext
	conf   config
	rootID string
}

func (p *pluginContext) OnPluginStart(pluginConfigurationSize int) types.OnPluginStartStatus {
	raw, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		proxywasm.LogErrorf("reading the configuration failed: %v", err)
		return types.OnPluginStartStatusFailed
	}
	proxywasm.LogInfof("config: %s", string(raw))
	conf, err := parseConfig(raw)
	if err != nil {
		proxywasm.LogErrorf("invalid configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.conf = conf

	if id, err := proxywasm.GetProperty([]string{"plugin_root_id"}); err == nil && len(id) > 0 {
		p.rootID = string(id)
	}
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) NewHttpContext(contextID uint32) types.HttpContext {
	return &httpContext{contextID: contextID, plugin: p}
}

// httpContext is one HTTP stream; the SDK forgets it when the host deletes the stream's context.
type httpContext struct {
	types.DefaultHttpContext
	contextID uint32
	plugin    *pluginContext
}

func (h *httpContext) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	conf := h.plugin.conf
	path, _ := proxywasm.GetHttpRequestHeader(":path")
	// Show the upstream that the plugin ran.
	if err := proxywasm.ReplaceHttpRequestHeader("x-wasm-plugin-request", h.plugin.rootID); err != nil {
		proxywasm.LogErrorf("#%d setting x-wasm-plugin-request failed: %v", h.contextID, err)
	}

	if !strings.HasPrefix(path, conf.ProtectedPrefix) {
		return types.ActionContinue
	}

	credential, err := proxywasm.GetHttpRequestHeader(conf.CredentialHeader)
	if err != nil {
		proxywasm.LogWarnf("#%d %s: missing %s header, answering 401", h.contextID, path, conf.CredentialHeader)
		body := "unauthorized: missing " + conf.CredentialHeader + " header\n"
		headers := [][2]string{{"content-type", "text/plain"}, {"www-authenticate", "Bearer"}}
		if err := proxywasm.SendHttpResponse(401, headers, []byte(body), -1); err != nil {
			proxywasm.LogErrorf("#%d sending the 401 failed: %v", h.contextID, err)
		}
		return types.ActionPause
	}

	if conf.AuthCluster == "" {
		return types.ActionContinue
	}
	callHeaders := [][2]string{
		{":method", "GET"},
		{":path", conf.AuthPath},
		{":authority", conf.authority()},
		{conf.CredentialHeader, credential},
	}
	if _, err := proxywasm.DispatchHttpCall(conf.AuthCluster, callHeaders, nil, nil, authTimeoutMillis, h.onAuthResponse); err != nil {
		proxywasm.LogErrorf("#%d http call to %s failed: %v", h.contextID, conf.AuthCluster, err)
		h.forbid()
		return types.ActionPause
	}
	// Wait for onAuthResponse, which resumes the request or answers 403.
	return types.ActionPause
}

// onAuthResponse runs when the auth cluster answers (the SDK makes this stream the effective context).
func (h *httpContext) onAuthResponse(numHeaders, bodySize, numTrailers int) {
	status := ""
	// A failed call (timeout, unknown cluster, reset) arrives with no headers at all.
	if numHeaders > 0 {
		if headers, err := proxywasm.GetHttpCallResponseHeaders(); err == nil {
			for _, header := range headers {
				if header[0] == ":status" {
					status = header[1]
					break
				}
			}
		}
	}
	if status == "200" {
		if err := proxywasm.ResumeHttpRequest(); err != nil {
			proxywasm.LogErrorf("#%d resuming the request failed: %v", h.contextID, err)
		}
		return
	}
	proxywasm.LogWarnf("#%d credential rejected by the auth cluster (status %q)", h.contextID, status)
	h.forbid()
}

func (h *httpContext) forbid() {
	headers := [][2]string{{"content-type", "text/plain"}}
	if err := proxywasm.SendHttpResponse(403, headers, []byte("forbidden\n"), -1); err != nil {
		proxywasm.LogErrorf("#%d sending the 403 failed: %v", h.contextID, err)
	}
}

func (h *httpContext) OnHttpResponseHeaders(numHeaders int, endOfStream bool) types.Action {
	if err := proxywasm.AddHttpResponseHeader(h.plugin.conf.ResponseHeader, h.plugin.rootID); err != nil {
		proxywasm.LogErrorf("#%d adding %s failed: %v", h.contextID, h.plugin.conf.ResponseHeader, err)
	}
	return types.ActionContinue
}
