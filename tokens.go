package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pkoukk/tiktoken-go"
	tiktokenloader "github.com/pkoukk/tiktoken-go-loader"
)

// encodings are the tiktoken encodings whose BPE data is embedded in the
// binary (by tiktoken-go-loader): counting never touches the network.
var encodings = []string{"cl100k_base", "o200k_base", "p50k_base", "r50k_base"}

// offlineLoader points tiktoken-go, whose loader is a package global that
// downloads by default, at the embedded data. It runs once per process,
// before any encoding is built.
var offlineLoader = sync.OnceFunc(func() {
	tiktoken.SetBpeLoader(tiktokenloader.NewOfflineLoader())
})

// tokenCounter counts the tokens of generated text.
type tokenCounter interface {
	Count(text []byte) (int, error)
	// Loaded reports whether the encoder is built already, so that counting
	// costs no more than the counting itself.
	Loaded() bool
}

// tiktokenCounter counts with a tiktoken encoding, built once and only when
// some request first needs it (building cl100k_base takes a few hundred ms).
type tiktokenCounter struct {
	name   string
	build  func() (*tiktoken.Tiktoken, error)
	loaded atomic.Bool
}

// newTiktokenCounter checks the encoding name; the encoder itself is built
// lazily.
func newTiktokenCounter(name string) (*tiktokenCounter, error) {
	if !slices.Contains(encodings, name) {
		return nil, fmt.Errorf("unknown encoding %q: use one of %s", name, strings.Join(encodings, ", "))
	}
	c := &tiktokenCounter{name: name}
	c.build = sync.OnceValues(func() (*tiktoken.Tiktoken, error) {
		offlineLoader()
		enc, err := tiktoken.GetEncoding(name)
		if err != nil {
			return nil, fmt.Errorf("loading tiktoken encoding %s: %w", name, err)
		}
		c.loaded.Store(true)
		return enc, nil
	})
	return c, nil
}

// Loaded reports whether the encoder has been built.
func (c *tiktokenCounter) Loaded() bool { return c.loaded.Load() }

// Count returns the number of tokens of text, special tokens counted as
// ordinary text (a model may well write "<|endoftext|>").
func (c *tiktokenCounter) Count(text []byte) (int, error) {
	enc, err := c.build()
	if err != nil {
		return 0, err
	}
	return len(enc.EncodeOrdinary(string(text))), nil
}
