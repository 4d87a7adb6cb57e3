// Package ollama speaks the part of Ollama's native API that tpsbench
// uses before a run: which version serves (/api/version), which models are
// loaded and where (/api/ps), what a model is (/api/show, /api/tags), and
// loading a model ahead of the measured requests.
//
// The package sends nothing itself: every call goes through a Caller that
// the program supplies, so the requests carry whatever the program's own
// HTTP client adds (API key, headers, timeouts). Errors from the Caller are
// returned as they are: the Caller knows the request and words its own
// failures, and a program may show them to its user.
package ollama

import (
	"context"
	"fmt"
)

// Caller makes the HTTP calls: GetJSON GETs url and decodes the JSON
// answer into v; PostJSON POSTs body as JSON to url and decodes the answer
// into v (v may be nil). Both fail on any status but 200 OK.
type Caller interface {
	GetJSON(ctx context.Context, url string, v any) error
	PostJSON(ctx context.Context, url string, body, v any) error
}

// Version asks the server at root (the base URL without /v1) for Ollama's
// version; it fails when the server is not Ollama.
func Version(ctx context.Context, c Caller, root string) (string, error) {
	var v struct {
		Version string `json:"version"`
	}
	if err := c.GetJSON(ctx, root+"/api/version", &v); err != nil {
		return "", err
	}
	if v.Version == "" {
		return "", fmt.Errorf("ollama: %s/api/version names no version", root)
	}
	return v.Version, nil
}

// Running lists the models loaded now (/api/ps). On error it returns the
// models that could be read, possibly none, with the error.
func Running(ctx context.Context, c Caller, root string) ([]Model, error) {
	return models(ctx, c, root+"/api/ps")
}

// Tags lists the models the server has (/api/tags). On error it returns
// the models that could be read, possibly none, with the error.
func Tags(ctx context.Context, c Caller, root string) ([]Model, error) {
	return models(ctx, c, root+"/api/tags")
}

func models(ctx context.Context, c Caller, url string) ([]Model, error) {
	var list struct {
		Models []Model `json:"models"`
	}
	err := c.GetJSON(ctx, url, &list)
	return list.Models, err
}

// Show asks what the model is (POST /api/show): family, parameter size,
// quantization.
func Show(ctx context.Context, c Caller, root, model string) (Details, error) {
	var show struct {
		Details Details `json:"details"`
	}
	if err := c.PostJSON(ctx, root+"/api/show", showRequest{Model: model}, &show); err != nil {
		return Details{}, err
	}
	return show.Details, nil
}

type showRequest struct {
	Model string `json:"model"`
}

// Preload loads the model and keeps it loaded for an hour: a chat with no
// messages makes Ollama load the model and answer at once, without
// generating anything.
func Preload(ctx context.Context, c Caller, root, model string) error {
	var reply struct {
		LoadDuration int64 `json:"load_duration"` // nanoseconds
	}
	req := preloadRequest{Model: model, Messages: []struct{}{}, KeepAlive: "1h"}
	return c.PostJSON(ctx, root+"/api/chat", req, &reply)
}

// preloadRequest is a chat without messages; Messages must be an empty
// list, not null.
type preloadRequest struct {
	Model     string     `json:"model"`
	Messages  []struct{} `json:"messages"`
	KeepAlive string     `json:"keep_alive"`
}
