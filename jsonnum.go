package main

import (
	"encoding/json"
	"math"
)

// jsonFloat is a figure in the JSON documents. JSON has no NaN and no
// infinity, and encoding/json refuses them, which would leave a whole
// document unwritten for one odd figure (a server's counter of +Inf, a GPU
// that gave no power reading): a figure that is not finite is written as
// null, and read back as NaN.
type jsonFloat float64

// MarshalJSON writes f as encoding/json writes a float64, or null.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads a number, or null as NaN.
func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jsonFloat(math.NaN())
		return nil
	}
	var v float64
	err := json.Unmarshal(b, &v)
	*f = jsonFloat(v)
	return err
}

// jsonSampleLists is jsonSamples as written: each value a jsonFloat.
type jsonSampleLists struct {
	TPS    []jsonFloat `json:"tps"`
	TTFTMs []jsonFloat `json:"ttft_ms,omitempty"`
	TPOTMs []jsonFloat `json:"tpot_ms,omitempty"`
	E2EMs  []jsonFloat `json:"e2e_ms"`
}

// MarshalJSON writes the samples, a value that is not finite as null.
func (s jsonSamples) MarshalJSON() ([]byte, error) {
	to := func(xs []float64) []jsonFloat {
		if xs == nil {
			return nil
		}
		out := make([]jsonFloat, len(xs))
		for i, x := range xs {
			out[i] = jsonFloat(x)
		}
		return out
	}
	return json.Marshal(jsonSampleLists{to(s.TPS), to(s.TTFTMs), to(s.TPOTMs), to(s.E2EMs)})
}

// UnmarshalJSON reads the samples, leaving out a null (a value that was
// not finite): it is no sample to test.
func (s *jsonSamples) UnmarshalJSON(b []byte) error {
	var l jsonSampleLists
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	from := func(xs []jsonFloat) []float64 {
		if xs == nil {
			return nil
		}
		out := make([]float64, 0, len(xs))
		for _, x := range xs {
			if !math.IsNaN(float64(x)) {
				out = append(out, float64(x))
			}
		}
		return out
	}
	*s = jsonSamples{from(l.TPS), from(l.TTFTMs), from(l.TPOTMs), from(l.E2EMs)}
	return nil
}
