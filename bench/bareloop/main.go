// Command bareloop is the self-benchmark's reference client: the plainest
// reasonable Go client of a streamed chat completion, written the way a
// careful newcomer would write it, so that tpsbench's cost per token can be
// read as a ratio to it on the same server in the same invocation.
//
// It uses net/http with a Transport sized to the concurrency, reads each
// body through a 64 KiB bufio.Reader line by line, and decodes every event
// with encoding/json. Each of -c workers sends -n requests in turn; a token
// is an event whose delta carries content. TTFT is measured from just
// before the request is sent to the arrival of the first token's line.
// With -warm, every worker's connection is opened before the clock starts.
//
// With -stream=false each answer is read whole and its tokens come from
// usage (the non-streamed point).
//
// It prints one JSON object: {"ok", "failed", "tokens", "wall_s",
// "ttft_mean_ms", "ttft_p99_ms"}.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

type chunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
}

type result struct {
	OK         int     `json:"ok"`
	Failed     int     `json:"failed"`
	Tokens     int     `json:"tokens"`
	WallS      float64 `json:"wall_s"`
	TTFTMeanMs float64 `json:"ttft_mean_ms"`
	TTFTP99Ms  float64 `json:"ttft_p99_ms"`
}

func main() {
	base := flag.String("base-url", "http://127.0.0.1:8080/v1", "endpoint, up to /v1")
	conc := flag.Int("c", 1, "concurrent workers")
	perWorker := flag.Int("n", 10, "requests per worker")
	maxTokens := flag.Int("max-tokens", 256, "max_tokens of every request")
	warm := flag.Bool("warm", true, "open every worker's connection before the clock starts")
	stream := flag.Bool("stream", true, "stream the answers (else read each whole, its tokens from usage)")
	flag.Parse()

	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns:        *conc,
		MaxIdleConnsPerHost: *conc,
		DisableCompression:  true,
	}}
	url := *base + "/chat/completions"
	body, _ := json.Marshal(map[string]any{
		"model":      "m",
		"messages":   []map[string]string{{"role": "user", "content": "Write a story."}},
		"max_tokens": *maxTokens,
		"stream":     *stream,
	})
	if *warm {
		openConnections(client, *base+"/models", *conc)
	}

	var mu sync.Mutex
	var res result
	var ttfts []float64
	start := time.Now()
	var wg sync.WaitGroup
	for range *conc {
		wg.Go(func() {
			br := bufio.NewReaderSize(nil, 64<<10)
			for range *perWorker {
				read := one
				if !*stream {
					read = whole
				}
				tokens, ttft, err := read(client, url, body, br)
				mu.Lock()
				if err != nil {
					res.Failed++
				} else {
					res.OK++
					res.Tokens += tokens
					ttfts = append(ttfts, ttft.Seconds()*1000)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.WallS = time.Since(start).Seconds()
	if len(ttfts) > 0 {
		var sum float64
		for _, v := range ttfts {
			sum += v
		}
		res.TTFTMeanMs = sum / float64(len(ttfts))
		slices.Sort(ttfts)
		res.TTFTP99Ms = ttfts[min(len(ttfts)-1, len(ttfts)*99/100)]
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

// openConnections fills the pool with n connections: n GETs held open
// together (each body is read only once all have their headers), so none
// reuses another's connection.
func openConnections(client *http.Client, url string, n int) {
	var got, done sync.WaitGroup
	got.Add(n)
	release := make(chan struct{})
	for range n {
		done.Go(func() {
			resp, err := client.Get(url)
			got.Done()
			<-release
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	got.Wait()
	close(release)
	done.Wait()
}

// one sends one streamed request and reads its answer to the end.
func one(client *http.Client, url string, body []byte, br *bufio.Reader) (int, time.Duration, error) {
	sent := time.Now()
	resp, err := post(client, url, body)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	br.Reset(resp.Body)
	tokens, ttft := 0, time.Duration(0)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			data, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("data: "))
			if ok && string(data) != "[DONE]" {
				var c chunk
				if err := json.Unmarshal(data, &c); err != nil {
					return tokens, ttft, err
				}
				if len(c.Choices) > 0 && c.Choices[0].Delta.Content != "" {
					if tokens == 0 {
						ttft = time.Since(sent)
					}
					tokens++
				}
			}
		}
		if err == io.EOF {
			return tokens, ttft, nil
		}
		if err != nil {
			return tokens, ttft, err
		}
	}
}

// whole sends one request not streamed and reads its answer whole: its
// tokens come from usage.
func whole(client *http.Client, url string, body []byte, _ *bufio.Reader) (int, time.Duration, error) {
	resp, err := post(client, url, body)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	var answer struct {
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return 0, 0, err
	}
	io.Copy(io.Discard, resp.Body)
	return answer.Usage.CompletionTokens, 0, nil
}

// post sends body as JSON and returns the answer if its status is 200.
func post(client *http.Client, url string, body []byte) (*http.Response, error) {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return resp, nil
}
