package main

import (
	"context"
	"unicode"
	"unicode/utf8"
)

// Counting text with tiktoken in pieces. tiktoken splits text into words
// with a regular expression, then merges each word's bytes in time
// quadratic in the word's length: 64 KB without a word break took seconds.
// Counting piece by piece keeps the cost linear, lets a cancel stop it
// between pieces, and lets an answer be counted as it arrives.
//
// A piece ends at a safe cut, where every encoding tpsbench offers
// (cl100k_base, o200k_base, p50k_base, r50k_base) starts a new word
// whatever follows, so the pieces' counts add up to the whole text's:
//   - before a space that follows anything but whitespace ("a| b");
//   - between a letter or digit and a symbol that is not an apostrophe,
//     a mark, a letter, a digit or whitespace ("word|," "好|，").
//
// Text with no safe cut for maxRun bytes (a long run of letters without
// a space, a base64 blob) is cut there anyway: the count may then differ
// from the whole text's by about a token per cut, and is marked
// approximate.
const (
	// pieceTarget is a piece's usual size: it ends at the first safe cut
	// past it.
	pieceTarget = 4 << 10
	// maxRun is the longest stretch without a safe cut counted whole.
	maxRun = 1 << 10
)

// safeCut reports whether a piece may end before text[i] without changing
// the count: i > 0, and text[i] starts a whole rune.
func safeCut(text []byte, i int) bool {
	next := text[i]
	if next < utf8.RuneSelf && next != ' ' && !isSymbol(rune(next)) {
		return false // the common case: a letter, a digit, whitespace
	}
	prev, _ := utf8.DecodeLastRune(text[:i])
	if next == ' ' {
		return !unicode.IsSpace(prev)
	}
	r, _ := utf8.DecodeRune(text[i:])
	return (unicode.IsLetter(prev) || unicode.IsNumber(prev)) && isSymbol(r)
}

// isSymbol reports whether r is neither whitespace, a letter, a digit nor
// a mark, and not the apostrophe that starts an English contraction.
func isSymbol(r rune) bool {
	if r < utf8.RuneSelf {
		return r != '\'' && r > ' ' && r != 0x7f &&
			!('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}
	return r != utf8.RuneError && !unicode.IsSpace(r) && !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r)
}

// nextPiece returns where the first piece of text ends and whether that
// end is a forced cut. With final false more text may follow, and ok is
// false when the piece's end depends on it: the piece is not known yet.
func nextPiece(text []byte, final bool) (end int, forced, ok bool) {
	lastCut := 0 // the latest safe cut in the piece; 0: none yet
	for i := 0; i < len(text); {
		if i > 0 && i-lastCut >= maxRun {
			if lastCut > 0 {
				return lastCut, false, true
			}
			return i, true, true
		}
		if !final && !utf8.FullRune(text[i:]) {
			return 0, false, false
		}
		if i > 0 && safeCut(text, i) {
			if i >= pieceTarget {
				return i, false, true
			}
			lastCut = i
		}
		if text[i] < utf8.RuneSelf {
			i++
		} else {
			_, size := utf8.DecodeRune(text[i:])
			i += size
		}
	}
	return len(text), false, final && len(text) > 0
}

// countPieces counts text piece by piece: the tokens, how many of text's
// bytes they cover, and whether some cut was forced. With final false the
// text may continue, and its last, unfinished piece is left uncounted. It
// stops with ctx's error when ctx ends.
func countPieces(ctx context.Context, c tokenCounter, text []byte, final bool) (n, used int, approx bool, err error) {
	for used < len(text) {
		if err := ctx.Err(); err != nil {
			return n, used, approx, err
		}
		end, forced, ok := nextPiece(text[used:], final)
		if !ok {
			break
		}
		k, err := c.Count(text[used : used+end])
		if err != nil {
			return n, used, approx, err
		}
		n, used, approx = n+k, used+end, approx || forced
	}
	return n, used, approx, nil
}
