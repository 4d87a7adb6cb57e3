package main

import (
	"strconv"

	"github.com/tpsbench/tpsbench/internal/load"
)

// plan is what a run will send, decided before anything is sent: its
// phases in order (the warm-up, then one measured phase, or one per sweep
// level) and the body of every request. The same flags and seed give the
// same plan.
type plan struct {
	phases     []phaseRun
	body       func(k requestKey) ([]byte, error)
	promptFile int // how many prompts --prompts-file holds
	tokens     *tokenPolicy
}

// warmupPhase numbers the warm-up's requests apart from every measured
// phase's (those count from 0, one per sweep level), so its prompts and
// record indices are its own.
const warmupPhase = 1 << 8

// loadLevel is one level of a sweep: a concurrency (closed loop) or a rate
// (open loop).
type loadLevel struct {
	concurrency int
	rate        load.Rate
}

// String is the level's label in the report and in records: c=8, rate=2.5.
func (l loadLevel) String() string {
	if l.rate > 0 {
		return "rate=" + l.rate.String()
	}
	return "c=" + strconv.Itoa(l.concurrency)
}

// newPlan plans the run cfg describes.
func newPlan(cfg *config) (*plan, error) {
	counter, err := newTiktokenCounter(cfg.encoding)
	if err != nil {
		return nil, usagef("-encoding: %v", err)
	}
	prompts, promptFile, err := newPrompts(cfg, counter)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	bodies := newBodyBuilder(cfg)
	p := &plan{
		body:       func(k requestKey) ([]byte, error) { return bodies.build(prompts(k)) },
		promptFile: promptFile,
		tokens:     newTokenPolicy(counter, cfg.forceTiktoken, cfg.crossCheck),
	}
	if w := cfg.load.warmup; w > 0 {
		p.phases = append(p.phases, phaseRun{load: load.Phase{Threads: min(cfg.threads, w), Total: w}, warmup: true, number: warmupPhase})
	}
	for i, l := range cfg.loadLevels() {
		p.phases = append(p.phases, phaseRun{load: measuredPhase(cfg, l), level: l.String(), number: i})
	}
	if !cfg.load.sweeping() {
		p.phases[len(p.phases)-1].level = ""
	}
	return p, nil
}

// measured are the plan's measured phases (all but the warm-up).
func (p *plan) measured() []phaseRun {
	if len(p.phases) > 0 && p.phases[0].warmup {
		return p.phases[1:]
	}
	return p.phases
}

// warmup is the plan's warm-up phase, if it has one.
func (p *plan) warmup() (phaseRun, bool) {
	if len(p.phases) > 0 && p.phases[0].warmup {
		return p.phases[0], true
	}
	return phaseRun{}, false
}

// loadLevels are the load shapes of the measured phases: one per sweep level,
// or the run's own.
func (c *config) loadLevels() []loadLevel {
	var levels []loadLevel
	for _, n := range c.load.sweepConcurrency {
		levels = append(levels, loadLevel{concurrency: n})
	}
	for _, r := range c.load.sweepRate {
		levels = append(levels, loadLevel{concurrency: c.threads, rate: r})
	}
	if len(levels) == 0 {
		levels = []loadLevel{{concurrency: c.threads, rate: c.load.rate}}
	}
	return levels
}

// measuredPhase is the load shape of one run or sweep level.
func measuredPhase(cfg *config, l loadLevel) load.Phase {
	return load.Phase{
		Threads:     l.concurrency,
		Total:       cfg.totalFor(l.concurrency),
		Duration:    cfg.load.duration,
		Rate:        l.rate,
		Burstiness:  cfg.load.burstiness,
		MaxInFlight: cfg.load.maxConcurrency,
		Seed:        cfg.load.seed,
	}
}

// newPrompts picks the prompt source; with --prompts-file it also says how
// many prompts the file holds.
func newPrompts(cfg *config, counter tokenCounter) (promptSource, int, error) {
	l := &cfg.load
	switch {
	case l.promptsFile != "":
		pf, err := readPromptFile(l.promptsFile, cfg.system)
		if err != nil {
			return nil, 0, err
		}
		return pf.cycle(l.seedSet, l.seed), len(pf.prompts), nil
	case l.inputTokens > 0:
		src, err := syntheticPrompts(cfg.system, l.inputTokens, l.inputTokensStddev, l.prefixTokens, l.seed, counter)
		return src, 0, err
	}
	return fixedPrompts(cfg.system, cfg.prompt, cfg.load.seed), 0, nil
}
