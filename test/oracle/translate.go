package main

import (
	"encoding/json"
	"fmt"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	httpwasm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	wasmextensions "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	extensions "istio.io/api/extensions/v1alpha1"
	"istio.io/istio/pilot/pkg/config/kube/crd"
	kubeextensions "istio.io/istio/pilot/pkg/config/kube/extensions"
	"istio.io/istio/pilot/pkg/config/memory"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/model/credentials"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/collection"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/config/schema/gvk"
	"istio.io/istio/pkg/config/schema/resource"
	"istio.io/istio/pkg/wasm"
)

type vmEnv struct {
	KeyValues   map[string]string `json:"keyValues"`
	HostEnvKeys []string          `json:"hostEnvKeys"`
}

type filterAnswer struct {
	Error string `json:"error,omitempty"`
	// Filter is false when istiod builds no HTTP Wasm filter (type NETWORK, or a lua extension).
	Filter        bool   `json:"filter"`
	Name          string `json:"name"`
	RootID        string `json:"rootId"`
	FailurePolicy string `json:"failurePolicy"`
	// ConfigurationType is the Any's type URL ("" when istiod sends an empty Any).
	ConfigurationType string `json:"configurationType"`
	// Configuration is the bytes the plugin reads as its plugin configuration.
	Configuration string `json:"configuration"`
	Runtime       string `json:"runtime"`
	CodeRemoteURI string `json:"codeRemoteUri,omitempty"`
	CodeSha256    string `json:"codeSha256,omitempty"`
	CodeLocalFile string `json:"codeLocalFile,omitempty"`
	// IstiodEnv is the VM environment istiod sends; PluginEnv what Envoy hands the plugin after the
	// istio-agent's rewrite (pkg/wasm MaybeConvertWasmExtensionConfig).
	IstiodEnv vmEnv `json:"istiodEnv"`
	PluginEnv vmEnv `json:"pluginEnv"`
}

// toConfig decodes a document the way istiod's CRD client does (crd.ConvertObject).
func toConfig(doc []byte) (*config.Config, error) {
	var obj crd.IstioKind
	if err := json.Unmarshal(doc, &obj); err != nil {
		return nil, err
	}
	k := obj.GroupVersionKind()
	s, ok := collections.PilotGatewayAPI().FindByGroupKind(resource.FromKubernetesGVK(&k))
	if !ok {
		return nil, fmt.Errorf("unrecognized type %v", k)
	}
	cfg, err := crd.ConvertObject(s, &obj, "cluster.local")
	if err != nil {
		return nil, err
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	return cfg, nil
}

// trafficExtensionOf gives the TrafficExtension istiod works with: a TrafficExtension as is, a
// WasmPlugin through istiod's own translation controller (pilot/pkg/config/kube/extensions).
func trafficExtensionOf(cfg *config.Config) (*config.Config, error) {
	if cfg.GroupVersionKind == gvk.TrafficExtension {
		return cfg, nil
	}
	if cfg.GroupVersionKind != gvk.WasmPlugin {
		return nil, fmt.Errorf("not a WasmPlugin or TrafficExtension: %v", cfg.GroupVersionKind)
	}
	store := memory.NewController(collection.SchemasFor(collections.WasmPlugin), true)
	stop := make(chan struct{})
	defer close(stop)
	go store.Run(stop)
	controller := kubeextensions.NewController(store, nil, nil)
	go controller.Run(stop)
	if _, err := store.Create(*cfg); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if controller.HasSynced() {
			if list := controller.List(gvk.TrafficExtension, cfg.Namespace); len(list) > 0 {
				return &list[0], nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil, fmt.Errorf("istiod's WasmPlugin translation produced nothing within 10 s")
}

// wrapperOf mirrors pilot/pkg/model's convertToTrafficExtensionWrapper (unexported): the same
// checks, and the pull secret rewritten to a resource name in the plugin's namespace.
func wrapperOf(cfg *config.Config) (*model.TrafficExtensionWrapper, error) {
	te, ok := cfg.DeepCopy().Spec.(*extensions.TrafficExtension)
	if !ok {
		return nil, fmt.Errorf("not a TrafficExtension")
	}
	if w := te.GetWasm(); w != nil {
		if w.Url == "" {
			return nil, fmt.Errorf("discarded: wasm.url is required")
		}
		if w.ImagePullSecret != "" {
			sr, err := credentials.ParseResourceName(credentials.ToResourceName(w.ImagePullSecret), cfg.Namespace, "", "")
			if err != nil {
				w.ImagePullSecret = ""
			} else {
				sr.Namespace = cfg.Namespace
				w.ImagePullSecret = sr.KubernetesResourceName()
			}
		}
	}
	return &model.TrafficExtensionWrapper{
		TrafficExtension: te,
		Name:             cfg.Name,
		Namespace:        cfg.Namespace,
		ResourceName:     model.TrafficExtensionResourceNamePrefix + cfg.Namespace + "." + cfg.Name,
		ResourceVersion:  cfg.ResourceVersion,
	}, nil
}

// stubCache stands in for the agent's module download: the rewrite of the filter is the agent's own code.
type stubCache struct{}

func (stubCache) Get(url string, _ wasm.GetOptions) (string, error) {
	return "/var/lib/istio/data/stub.wasm", nil
}
func (stubCache) Cleanup() {}

func envOf(vm *wasmextensions.VmConfig) vmEnv {
	out := vmEnv{KeyValues: map[string]string{}, HostEnvKeys: []string{}}
	if e := vm.GetEnvironmentVariables(); e != nil {
		for k, v := range e.KeyValues {
			out.KeyValues[k] = v
		}
		out.HostEnvKeys = append(out.HostEnvKeys, e.HostEnvKeys...)
	}
	return out
}

func translate(doc []byte) filterAnswer {
	cfg, err := toConfig(doc)
	if err != nil {
		return filterAnswer{Error: err.Error()}
	}
	teCfg, err := trafficExtensionOf(cfg)
	if err != nil {
		return filterAnswer{Error: err.Error()}
	}
	wrapper, err := wrapperOf(teCfg)
	if err != nil {
		return filterAnswer{Error: err.Error()}
	}
	filter := wrapper.BuildHTTPWasmFilter()
	if filter == nil {
		return filterAnswer{}
	}
	if filter.Config == nil {
		return filterAnswer{Error: "istiod discarded the filter (BuildHTTPWasmFilter gave no config)"}
	}
	pc := filter.Config
	out := filterAnswer{
		Filter:            true,
		Name:              pc.Name,
		RootID:            pc.RootId,
		FailurePolicy:     pc.FailurePolicy.String(),
		ConfigurationType: pc.GetConfiguration().GetTypeUrl(),
		Runtime:           pc.GetVmConfig().GetRuntime(),
		IstiodEnv:         envOf(pc.GetVmConfig()),
	}
	if out.ConfigurationType != "" {
		var s wrapperspb.StringValue
		if err := pc.GetConfiguration().UnmarshalTo(&s); err != nil {
			return filterAnswer{Error: "configuration: " + err.Error()}
		}
		out.Configuration = s.Value
	}
	code := pc.GetVmConfig().GetCode()
	if r := code.GetRemote(); r != nil {
		out.CodeRemoteURI = r.GetHttpUri().GetUri()
		out.CodeSha256 = r.GetSha256()
	} else {
		out.CodeLocalFile = code.GetLocal().GetFilename()
	}
	// The agent's rewrite of the extension config (what Envoy finally gets).
	typed, err := anypb.New(filter)
	if err != nil {
		return filterAnswer{Error: err.Error()}
	}
	ec, err := anypb.New(&core.TypedExtensionConfig{Name: wrapper.ResourceName, TypedConfig: typed})
	if err != nil {
		return filterAnswer{Error: err.Error()}
	}
	resources := []*anypb.Any{ec}
	if err := wasm.MaybeConvertWasmExtensionConfig(resources, stubCache{}); err != nil {
		return filterAnswer{Error: "agent: " + err.Error()}
	}
	var final core.TypedExtensionConfig
	var finalWasm httpwasm.Wasm
	if err := resources[0].UnmarshalTo(&final); err != nil {
		return filterAnswer{Error: "agent: " + err.Error()}
	}
	if err := final.GetTypedConfig().UnmarshalTo(&finalWasm); err != nil {
		return filterAnswer{Error: "agent replaced the filter (" + final.GetTypedConfig().GetTypeUrl() + ")"}
	}
	out.PluginEnv = envOf(finalWasm.Config.GetVmConfig())
	return out
}
