package sim

import (
	"encoding/json"
	"testing"
)

func TestWholeAnswer(t *testing.T) {
	t.Parallel()
	resp, body, _ := post(t, Config{OutputTokens: 2}, `{"model":"m","messages":[{"role":"user","content":"a b c"}],"max_tokens":5}`)
	var got struct {
		Choices []struct {
			Message      struct{ Role, Content string }
			FinishReason string `json:"finish_reason"`
		}
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, %v: %s", resp.StatusCode, err, body)
	}
	if got.Choices[0].Message.Content != " the of" || got.Choices[0].FinishReason != "stop" || got.Usage.CompletionTokens != 2 {
		t.Errorf("answer = %+v; want two words, finish stop, usage 2", got)
	}
}
