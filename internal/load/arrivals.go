package load

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Rate is an open loop's arrival rate in requests per second: 0 for a
// closed loop, Unlimited to start everything at once.
type Rate float64

// Unlimited starts every request of a phase at once.
var Unlimited = Rate(math.Inf(1))

// Infinite reports whether every request starts at once.
func (r Rate) Infinite() bool { return math.IsInf(float64(r), 1) }

// String is the rate as the command line writes it: "inf" or a number.
func (r Rate) String() string {
	if r.Infinite() {
		return "inf"
	}
	return strconv.FormatFloat(float64(r), 'g', -1, 64)
}

// MinRate is the lowest rate ParseRate accepts: one request every 1000
// seconds on average, so that a run's arrival times stay within reach.
const MinRate Rate = 0.001

// ParseRate reads a number of requests per second, at least MinRate, or
// "inf".
func ParseRate(s string) (Rate, error) {
	if s == "inf" {
		return Unlimited, nil
	}
	r, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || !(r > 0) || math.IsInf(r, 0):
		return 0, fmt.Errorf("%q is not a positive number of requests per second (or inf)", s)
	case Rate(r) < MinRate:
		return 0, fmt.Errorf("%q is below the lowest rate, %v requests per second", s, MinRate)
	}
	return Rate(r), nil
}

// MaxGap is the longest gap between two arrivals, and the latest arrival
// time: about 146 years, so that no sum of gaps overflows a Duration.
const MaxGap = time.Duration(1 << 62)

// Arrivals draws the gaps between open-loop arrivals: gamma-distributed
// with shape burstiness and mean 1/rate, as vLLM's bench serve does; a
// burstiness of 1 gives exponential gaps (a Poisson process), lower values
// burstier traffic (coefficient of variation 1/sqrt(burstiness)). An
// unlimited rate gives gaps of 0. The same seed gives the same gaps.
type Arrivals struct {
	rng   *rand.Rand
	rate  Rate
	shape float64
}

// NewArrivals returns the arrival process of rate, burstiness and seed.
func NewArrivals(rate Rate, burstiness float64, seed uint64) *Arrivals {
	if !(burstiness > 0) {
		burstiness = 1
	}
	return &Arrivals{rng: rand.New(rand.NewPCG(seed, 0x7470736265)), rate: rate, shape: burstiness}
}

// Next is the gap before the next arrival, at most MaxGap. An infinite
// burstiness gives gaps of exactly the mean.
func (a *Arrivals) Next() time.Duration {
	if a.rate.Infinite() {
		return 0
	}
	mean := 1 / float64(a.rate)
	g := 1.0
	if !math.IsInf(a.shape, 1) {
		g = a.gamma(a.shape) / a.shape // mean 1
	}
	gap := g * mean * float64(time.Second)
	if !(gap < float64(MaxGap)) { // NaN too
		return MaxGap
	}
	return time.Duration(gap)
}

// gamma draws from Gamma(shape, 1) by Marsaglia and Tsang's method.
func (a *Arrivals) gamma(shape float64) float64 {
	if shape < 1 {
		// Gamma(k) = Gamma(k+1) * U^(1/k)
		return a.gamma(shape+1) * math.Pow(a.rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := a.rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := a.rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
