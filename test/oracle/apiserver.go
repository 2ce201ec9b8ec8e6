package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/crdserverscheme"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericrequest "k8s.io/apiserver/pkg/endpoints/request"
	"sigs.k8s.io/yaml"
)

// crdKind is one served version of a CRD, ready to admit objects as the API server does.
type crdKind struct {
	gvk        schema.GroupVersionKind
	structural *structuralschema.Structural
	validate   func(ctx context.Context, u *unstructured.Unstructured) field.ErrorList
}

type crdSet struct {
	kinds map[string]*crdKind // by "group/version/Kind"
}

type problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

type admission struct {
	Allowed bool      `json:"allowed"`
	Errors  []problem `json:"errors"`
	// Object is the document as stored: pruned and defaulted.
	Object map[string]any `json:"object,omitempty"`
}

func loadCRDs(files []string) (*crdSet, error) {
	set := &crdSet{kinds: map[string]*crdKind{}}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			if !strings.Contains(doc, "kind: CustomResourceDefinition") {
				continue
			}
			if err := yaml.Unmarshal([]byte(doc), &crd); err != nil {
				return nil, fmt.Errorf("%s: %v", file, err)
			}
		}
		if crd.Spec.Group == "" {
			return nil, fmt.Errorf("%s: no CustomResourceDefinition", file)
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil {
				continue
			}
			internal := &apiextensions.CustomResourceValidation{}
			if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.Schema, internal, nil); err != nil {
				return nil, fmt.Errorf("%s: %v", file, err)
			}
			structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
			if err != nil {
				return nil, fmt.Errorf("%s: not a structural schema: %v", file, err)
			}
			validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", file, err)
			}
			var status *apiextensions.CustomResourceSubresourceStatus
			if v.Subresources != nil && v.Subresources.Status != nil {
				status = &apiextensions.CustomResourceSubresourceStatus{}
			}
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
			strategy := customresource.NewStrategy(crdserverscheme.NewUnstructuredObjectTyper(), crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
				gvk, validator, nil, structural, status, nil, nil)
			set.kinds[gvk.Group+"/"+gvk.Version+"/"+gvk.Kind] = &crdKind{
				gvk:        gvk,
				structural: structural,
				validate: func(ctx context.Context, u *unstructured.Unstructured) field.ErrorList {
					strategy.PrepareForCreate(ctx, u)
					return strategy.Validate(ctx, u)
				},
			}
		}
	}
	return set, nil
}

// admit follows the API server's create path for a custom resource sent by `kubectl apply`
// (field validation Strict): decode, metadata coercion, pruning (unknown fields are errors),
// defaulting, then the strategy's validation (ObjectMeta, OpenAPI schema, list types, CEL).
func (s *crdSet) admit(raw []byte) admission {
	fail := func(path, message string) admission {
		return admission{Errors: []problem{{Path: path, Message: message}}}
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(raw, &obj); err != nil {
		return fail("", "cannot decode: "+err.Error())
	}
	if obj == nil {
		return fail("", "not an object")
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return fail("apiVersion", err.Error())
	}
	k, ok := s.kinds[gv.Group+"/"+gv.Version+"/"+kind]
	if !ok {
		return fail("kind", fmt.Sprintf("no matches for kind %q in version %q", kind, apiVersion))
	}
	u := &unstructured.Unstructured{Object: obj}
	namespace := u.GetNamespace()
	if namespace == "" {
		namespace = "default" // kubectl sends the context's namespace
	}
	objectMeta, found, unknownMeta, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return fail("metadata", err.Error())
	}
	unknown := append([]string{}, unknownMeta...)
	unknown = append(unknown, structuralpruning.PruneWithOptions(u.Object, k.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, k.structural)
	if err, paths := schemaobjectmeta.CoerceWithOptions(nil, u.Object, k.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true}); err != nil {
		return fail("metadata", err.Error())
	} else {
		unknown = append(unknown, paths...)
	}
	u.SetKind(kind)
	u.SetAPIVersion(apiVersion)
	if found {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, objectMeta); err != nil {
			return fail("metadata", err.Error())
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		var errs []problem
		for _, p := range unknown {
			errs = append(errs, problem{Path: p, Message: fmt.Sprintf("strict decoding error: unknown field %q", p)})
		}
		return admission{Errors: errs}
	}
	structuraldefaulting.Default(u.Object, k.structural)
	u.SetNamespace(namespace)
	ctx := genericrequest.WithNamespace(context.Background(), namespace)
	errs := k.validate(ctx, u)
	out := admission{Allowed: len(errs) == 0, Object: u.Object}
	for _, e := range errs {
		out.Errors = append(out.Errors, problem{Path: e.Field, Message: e.ErrorBody()})
	}
	return out
}

func runtimeGroupVersion(apiVersion string) (schema.GroupVersion, error) {
	return schema.ParseGroupVersion(apiVersion)
}
