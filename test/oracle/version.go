package main

import "runtime/debug"

// versions names the modules the answers come from.
func versions() map[string]string {
	out := map[string]string{}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			switch dep.Path {
			case "istio.io/istio", "istio.io/api", "k8s.io/apiextensions-apiserver", "k8s.io/apiserver":
				out[dep.Path] = dep.Version
			}
		}
	}
	return out
}
