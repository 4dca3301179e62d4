package stack

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// FailedEvent is an S3 event a function still failed after Lambda's retries, kept as the AWS
// stack's failed-events queue keeps it (Lambda's on-failure record, in its shape), so that nothing
// is lost in a long fault and it can be sent again once the fault has cleared.
type FailedEvent struct {
	Timestamp      time.Time       `json:"timestamp"`
	RequestContext FailedContext   `json:"requestContext"`
	RequestPayload json.RawMessage `json:"requestPayload"`
	Response       struct {
		ErrorMessage string `json:"errorMessage"`
	} `json:"responsePayload"`
	function string
}

type FailedContext struct {
	Function               string `json:"functionName"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

type failedEvents struct {
	mu     sync.Mutex
	events []FailedEvent
}

// keeper is a pool's OnFailure for one function.
func (f *failedEvents) keeper(function string) func([]byte, int, error) {
	return func(payload []byte, attempts int, err error) {
		ev := FailedEvent{Timestamp: time.Now().UTC(), RequestPayload: append(json.RawMessage(nil), payload...), function: function,
			RequestContext: FailedContext{Function: function, Condition: "RetriesExhausted", ApproximateInvokeCount: attempts}}
		ev.Response.ErrorMessage = err.Error()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.events = append(f.events, ev)
	}
}

// FailedEvents returns the events kept since the stack started (or last sent again).
func (st *Stack) FailedEvents() []FailedEvent {
	st.failed.mu.Lock()
	defer st.failed.mu.Unlock()
	return append([]FailedEvent(nil), st.failed.events...)
}

// Redrive sends every kept event again to its function, asynchronously (with Lambda's retries, and
// kept again if it still fails), and returns how many it sent. The functions treat an event they
// have already handled as done, so sending one again is always safe.
func (st *Stack) Redrive() int {
	st.failed.mu.Lock()
	evs := st.failed.events
	st.failed.events = nil
	st.failed.mu.Unlock()
	for _, ev := range evs {
		st.pools[ev.function].InvokeAsync(ev.RequestPayload)
	}
	return len(evs)
}

// listFailed answers GET /failed-events on the Lambda port (what the AWS stack's queue would hold).
func (st *Stack) listFailed(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(append([]FailedEvent{}, st.FailedEvents()...))
}

// redriveFailed answers POST /failed-events/redrive: make redrive.
func (st *Stack) redriveFailed(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]int{"sent": st.Redrive()})
}
