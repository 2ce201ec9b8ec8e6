package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/webhooks/validation/server"
)

// webhook is istiod's validating admission webhook (pkg/webhooks/validation/server), with the
// schemas istiod registers (pilot/pkg/bootstrap/validation.go), called through its HTTP handler.
type webhook struct {
	mux *http.ServeMux
}

type webhookVerdict struct {
	Allowed  bool     `json:"allowed"`
	Message  string   `json:"message,omitempty"`
	Warnings []string `json:"warnings"`
}

func newWebhook() *webhook {
	mux := http.NewServeMux()
	if _, err := server.New(server.Options{Schemas: collections.PilotGatewayAPI(), DomainSuffix: "cluster.local", Mux: mux}); err != nil {
		panic(err)
	}
	return &webhook{mux: mux}
}

func (w *webhook) review(doc []byte) webhookVerdict {
	var meta struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
	}
	_ = json.Unmarshal(doc, &meta)
	gv, _ := runtimeGroupVersion(meta.APIVersion)
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       "oracle",
			Kind:      metav1.GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: meta.Kind},
			Resource:  metav1.GroupVersionResource{Group: gv.Group, Version: gv.Version},
			Name:      meta.Metadata.Name,
			Namespace: meta.Metadata.Namespace,
			Operation: admissionv1.Create,
			Object:    runtime.RawExtension{Raw: doc},
		},
	}
	body, _ := json.Marshal(review)
	req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	w.mux.ServeHTTP(rec, req)
	var answer admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Response == nil {
		return webhookVerdict{Message: "webhook answered " + rec.Body.String()}
	}
	out := webhookVerdict{Allowed: answer.Response.Allowed, Warnings: answer.Response.Warnings}
	if answer.Response.Result != nil {
		out.Message = answer.Response.Result.Message
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	return out
}
