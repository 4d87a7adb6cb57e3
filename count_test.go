package main

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// encoders builds every embedded encoding once for this file's tests.
var encoders = sync.OnceValue(func() map[string]*tiktokenCounter {
	m := map[string]*tiktokenCounter{}
	for _, name := range encodings {
		c, err := newTiktokenCounter(name)
		if err != nil {
			panic(err)
		}
		m[name] = c
	}
	return m
})

// countWhole counts text in one piece, as tiktoken alone would.
func countWhole(t testing.TB, c tokenCounter, text string) int {
	t.Helper()
	n, err := c.Count([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// countIn counts text piecewise to the end.
func countIn(t testing.TB, c tokenCounter, text string) (int, bool) {
	t.Helper()
	n, used, approx, err := countPieces(context.Background(), c, []byte(text), true)
	if err != nil || used != len(text) {
		t.Fatalf("countPieces: used %d of %d, %v", used, len(text), err)
	}
	return n, approx
}

// Natural text is cut only where no encoding's count changes: piecewise
// counts equal whole ones, exactly, in every encoding.
func TestCountPiecesExact(t *testing.T) {
	t.Parallel()
	samples := map[string]string{
		"english":  "Hello, world! It's a fine day; isn't it? Numbers 12345 and 3.14159, URLs like https://example.com/a?b=c.\n\n",
		"spaces":   "a  b   c\t\td \n  e\r\n f  \u00a0g\u3000h  \n\n   ",
		"cjk":      "你好，世界。这是一个测试：计算令牌（词元）的数量！日本語の文章も、ここにあります。",
		"code":     "func main() {\n\tfmt.Println(\"hi\")\n\tx := []int{1,2,3}\n\treturn x[0]+y_z*2 // done\n}\n",
		"marks":    "Ame\u0301lie cafe\u0301, nai\u0308ve; Đà Nẵng! Ελληνικά, русский текст.",
		"emoji":    "Great job 🎉🎉! Let's go 🚀… “quoted” — dash – and ’curly’ apostrophes.",
		"digits":   "1234567890 12,345,678.90 0x1F 1e10 ١٢٣٤ ½ ² ",
		"markdown": "## Title\n\n* item **bold** _it_\n1. `code` [link](http://x.y)\n> quote\n\n| a | b |\n|---|---|\n",
	}
	for name, s := range samples {
		text := strings.Repeat(s, 3*pieceTarget/len(s)+1) // several pieces
		for enc, c := range encoders() {
			n, approx := countIn(t, c, text)
			if whole := countWhole(t, c, text); n != whole || approx {
				t.Errorf("%s in %s: piecewise %d (approximate %v); whole %d", name, enc, n, approx, whole)
			}
		}
	}
}

// Random text over the characters where cuts are delicate: whenever no
// cut was forced, the piecewise count is the whole count.
func TestCountPiecesExactRandom(t *testing.T) {
	t.Parallel()
	alphabet := []rune("aZé漢 \n\t\r\u00a0\u3000\u2028'’,.!-_/:;\"()1٣\u0301\u200b😀\x01\ufffd")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 15 {
		var b strings.Builder
		for b.Len() < 3*pieceTarget {
			r := alphabet[rng.IntN(len(alphabet))]
			for range 1 + rng.IntN(4) { // runs, so that words and spaces repeat
				b.WriteRune(r)
			}
		}
		text := b.String()
		for enc, c := range encoders() {
			if n, approx := countIn(t, c, text); !approx && n != countWhole(t, c, text) {
				t.Fatalf("text %d in %s: piecewise %d, whole %d:\n%q", i, enc, n, countWhole(t, c, text), text)
			}
		}
	}
}

// pieceRecorder is a token counter that counts a token a piece and notes
// the pieces it is given; onCount, if set, sees each piece first.
type pieceRecorder struct {
	mu      sync.Mutex
	pieces  []int // their lengths
	onCount func(piece []byte)
}

func (p *pieceRecorder) Count(text []byte) (int, error) {
	if p.onCount != nil {
		p.onCount(text)
	}
	p.mu.Lock()
	p.pieces = append(p.pieces, len(text))
	p.mu.Unlock()
	return 1, nil
}

// counted returns how many pieces were counted, and the longest.
func (p *pieceRecorder) counted() (n, longest int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pieces), slices.Max(append([]int{0}, p.pieces...))
}

// A megabyte without a word break is counted in pieces of at most maxRun
// bytes (so in linear time), and the count is marked approximate.
func TestCountLongRunPiecewise(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("a", 1<<20)
	rec := &pieceRecorder{}
	n, approx := countIn(t, rec, text)
	if n != (1<<20)/maxRun || !approx || len(rec.pieces) != n {
		t.Errorf("%d pieces, approximate %v; want %d pieces, approximate", n, approx, (1<<20)/maxRun)
	}
	for _, p := range rec.pieces {
		if p > maxRun {
			t.Fatalf("a piece of %d bytes; want at most %d", p, maxRun)
		}
	}
	// The real encoder agrees with itself on such text to within a token
	// per cut.
	c := encoders()["cl100k_base"]
	short := text[:16<<10]
	n, _ = countIn(t, c, short)
	if whole := countWhole(t, c, short); n < whole-16 || n > whole+16 {
		t.Errorf("16 KiB of one letter: piecewise %d, whole %d; want within a token per cut", n, whole)
	}
}

// Counting stops between pieces when its context ends.
func TestCountPiecesStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	rec := &pieceRecorder{onCount: func([]byte) { cancel() }}
	_, used, _, err := countPieces(ctx, rec, []byte(strings.Repeat("a", 1<<20)), true)
	if err != context.Canceled || len(rec.pieces) != 1 || used != maxRun {
		t.Errorf("err %v after %d pieces (%d bytes); want it cancelled after the first", err, len(rec.pieces), used)
	}
}

// Counting as text arrives, in whatever bits, gives the count of the
// whole: a piece is counted only once what follows cannot move its end.
func TestCountPiecesIncremental(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	text := strings.Repeat("Hello, wörld! 你好，世界。 ", 500) + strings.Repeat("x", 5000) + strings.Repeat(" y", 100)
	c := encoders()["o200k_base"]
	wantN, wantApprox := countIn(t, c, text)
	var held []byte
	n, approx := 0, false
	for rest := text; rest != ""; {
		k := min(len(rest), 1+rng.IntN(300)) // may split a rune
		held, rest = append(held, rest[:k]...), rest[k:]
		m, used, a, err := countPieces(t.Context(), c, held, rest == "")
		if err != nil {
			t.Fatal(err)
		}
		n, approx, held = n+m, approx || a, held[used:]
	}
	if n != wantN || approx != wantApprox || len(held) != 0 {
		t.Errorf("incremental %d (approximate %v, %d bytes left); whole %d (approximate %v)", n, approx, len(held), wantN, wantApprox)
	}
}

// BenchmarkCountNoSpace counts text without a word break: the time per
// byte (see MB/s) stays flat from 16 KB to 256 KB, where tiktoken alone
// takes time quadratic in the length.
func BenchmarkCountNoSpace(b *testing.B) {
	c := encoders()["cl100k_base"]
	for _, size := range []int{16 << 10, 256 << 10} {
		text := []byte(strings.Repeat("a", size))
		b.Run(strconv.Itoa(size>>10)+"KB", func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, _, _, err := countPieces(b.Context(), c, text, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
