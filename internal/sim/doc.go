// Package sim is tpsbench's simulated OpenAI-compatible endpoint.
//
// It answers POST /v1/chat/completions (streaming and not) and GET /v1/models
// in the shapes that real servers use (Ollama, llama.cpp's server, OpenAI),
// with a configurable time to first token, token rate, output length and
// jitter. It is the client's judge: it shares no parsing or timing code with
// the client, and with Config.Record it keeps its own timeline of every
// request (when it arrived, when each token was written) so tests can hold
// the client's measurements against it.
package sim
