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
