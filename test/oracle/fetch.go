package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"strings"
	"time"

	"istio.io/istio/pkg/wasm"
)

type fetchAnswer struct {
	OK bool `json:"ok"`
	// Refused: the agent's SSRF guard rejected the registry's challenge ("rejected unsafe bearer realm").
	Refused bool   `json:"refused"`
	Error   string `json:"error,omitempty"`
	// Digest is the manifest digest the fetcher resolved (the sha256 a WasmPlugin pins).
	Digest       string `json:"digest,omitempty"`
	Module       string `json:"module,omitempty"` // base64
	ModuleSha256 string `json:"moduleSha256,omitempty"`
	// Pinned: the agent's module cache accepted the download with sha256 = the requested pin.
	Pinned      bool   `json:"pinned"`
	PinnedError string `json:"pinnedError,omitempty"`
}

// fetch is the istio-agent's pull of an oci:// image: pkg/wasm's ImageFetcher (digest and module
// bytes), then, when a pin is given, the agent's module cache with that checksum.
func fetch(image, pullSecret, pin string) fetchAnswer {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opt := wasm.ImageFetcherOption{}
	if pullSecret != "" {
		opt.PullSecret = []byte(pullSecret)
	}
	fetcher := wasm.NewImageFetcher(ctx, opt)
	binary, digest, err := fetcher.PrepareFetch(strings.TrimPrefix(image, "oci://"))
	if err != nil {
		return fetchAnswer{Error: err.Error(), Refused: strings.Contains(err.Error(), "rejected unsafe bearer realm")}
	}
	module, err := binary()
	if err != nil {
		return fetchAnswer{Error: err.Error(), Digest: "sha256:" + digest}
	}
	sum := sha256.Sum256(module)
	out := fetchAnswer{OK: true, Digest: "sha256:" + digest, Module: base64.StdEncoding.EncodeToString(module), ModuleSha256: hex.EncodeToString(sum[:])}
	if pin != "" {
		dir, err := os.MkdirTemp("", "oracle-wasm-cache-")
		if err != nil {
			out.PinnedError = err.Error()
			return out
		}
		defer os.RemoveAll(dir)
		cache := wasm.NewLocalFileCache(dir, wasm.Options{})
		defer cache.Cleanup()
		url := image
		if !strings.Contains(url, "://") {
			url = "oci://" + url
		}
		opts := wasm.GetOptions{Checksum: pin, ResourceName: "oracle", RequestTimeout: 30 * time.Second}
		if pullSecret != "" {
			opts.PullSecret = []byte(pullSecret)
		}
		path, err := cache.Get(url, opts)
		if err != nil {
			out.PinnedError = err.Error()
			return out
		}
		cached, err := os.ReadFile(path)
		if err != nil {
			out.PinnedError = err.Error()
			return out
		}
		out.Pinned = string(cached) == string(module)
		if !out.Pinned {
			out.PinnedError = "the cached module differs from the fetched one"
		}
	}
	return out
}
