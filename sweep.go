package main

// levelsOf splits records by sweep level, in order of first appearance, and
// summarises each; records of no level give no levels.
func levelsOf(records []Record, slo sloBounds) []sweepLevel {
	var order []string
	byLevel := map[string][]Record{}
	for _, r := range records {
		if r.Level == "" || r.Warmup {
			continue
		}
		if _, seen := byLevel[r.Level]; !seen {
			order = append(order, r.Level)
		}
		byLevel[r.Level] = append(byLevel[r.Level], r)
	}
	var levels []sweepLevel
	for _, l := range order {
		levels = append(levels, sweepLevel{label: l, s: summarizeRecords(byLevel[l], slo)})
	}
	return levels
}

// knee finds the level past which more load stopped paying: the first
// level whose output throughput grew by less than 10% over the previous
// one while its latency (p95 TTFT when streamed, else p95 E2E) grew by more
// than 20%. It returns the index of the previous level, or -1.
func knee(levels []sweepLevel) int {
	latency := func(s Summary) float64 {
		if s.TTFT.N > 0 {
			return s.TTFT.P95
		}
		return s.E2E.P95
	}
	for i := 1; i < len(levels); i++ {
		prev, cur := levels[i-1].s, levels[i].s
		if prev.OutputThroughput <= 0 || latency(prev) <= 0 {
			continue
		}
		gain := cur.OutputThroughput/prev.OutputThroughput - 1
		climb := latency(cur)/latency(prev) - 1
		if gain < 0.10 && climb > 0.20 {
			return i - 1
		}
	}
	return -1
}
