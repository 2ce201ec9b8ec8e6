// Command oracle answers questions about Istio plugin documents and images with Istio's own code
// (istio.io/istio and k8s.io/apiextensions-apiserver), for the TypeScript tests of create-istio-wasm.
//
// Protocol: one JSON request per line on stdin, one JSON answer per line on stdout, in order.
//
//	{"id":1,"op":"apiserver","doc":{...}}          the CRD's structural schema, defaults and CEL rules
//	{"id":2,"op":"istiod","doc":{...}}             istiod's validating webhook (ValidateWasmPlugin / ValidateTrafficExtension)
//	{"id":3,"op":"translate","doc":{...}}          the Envoy Wasm filter istiod builds (BuildHTTPWasmFilter)
//	{"id":4,"op":"fetch","image":"host:port/repo:tag"}   the istio-agent's image fetcher (pkg/wasm)
//
// Arguments: the CRD files to serve (YAML, one CustomResourceDefinition each).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	istiolog "istio.io/istio/pkg/log"
)

type request struct {
	ID    int             `json:"id"`
	Op    string          `json:"op"`
	Doc   json.RawMessage `json:"doc,omitempty"`
	Image string          `json:"image,omitempty"`
	// PullSecret is a kubernetes.io/dockerconfigjson payload, as the agent reads it from the Secret.
	PullSecret string `json:"pullSecret,omitempty"`
	Sha256     string `json:"sha256,omitempty"`
}

func main() {
	// Istio's loggers write to stdout by default; stdout carries only answers.
	logOptions := istiolog.DefaultOptions()
	logOptions.OutputPaths = []string{"stderr"}
	logOptions.ErrorOutputPaths = []string{"stderr"}
	logOptions.SetDefaultOutputLevel("all", istiolog.ErrorLevel)
	if err := istiolog.Configure(logOptions); err != nil {
		fmt.Fprintf(os.Stderr, "oracle: %v\n", err)
		os.Exit(2)
	}
	crds, err := loadCRDs(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle: %v\n", err)
		os.Exit(2)
	}
	webhook := newWebhook()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	for in.Scan() {
		var req request
		var answer any
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			answer = map[string]any{"error": "bad request: " + err.Error()}
		} else {
			answer = handle(req, crds, webhook)
		}
		if err := out.Encode(map[string]any{"id": req.ID, "result": answer}); err != nil {
			fmt.Fprintf(os.Stderr, "oracle: %v\n", err)
			os.Exit(2)
		}
	}
}

func handle(req request, crds *crdSet, webhook *webhook) any {
	switch req.Op {
	case "apiserver":
		return crds.admit(req.Doc)
	case "istiod":
		return webhook.review(req.Doc)
	case "translate":
		return translate(req.Doc)
	case "fetch":
		return fetch(req.Image, req.PullSecret, req.Sha256)
	case "version":
		return versions()
	}
	return map[string]any{"error": fmt.Sprintf("unknown op %q", req.Op)}
}
