package main

import (
	"math/rand/v2"
	"testing"
)

// compareFigures finds a 20% slower run significant, and the same run not.
func TestCompareRuns(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	draw := func(n int, scale float64) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = scale * (40 + 5*rng.NormFloat64())
		}
		return xs
	}
	same := compareFigures("", runFigures{samples: jsonSamples{TPS: draw(60, 1)}}, runFigures{samples: jsonSamples{TPS: draw(60, 1)}})
	slower := compareFigures("", runFigures{samples: jsonSamples{TPS: draw(60, 1)}}, runFigures{samples: jsonSamples{TPS: draw(60, 0.8)}})
	if same[0].significant || !slower[0].significant || slower[0].change > -0.1 {
		t.Errorf("same: %+v; 20%% slower: %+v", same[0], slower[0])
	}
}
