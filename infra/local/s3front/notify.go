package s3front

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// eventKey encodes an object key as S3 does in event notifications: form
// encoding (space becomes '+', non-ASCII and reserved bytes are
// percent-encoded) with '/' left as is.
func eventKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.QueryEscape(p)
	}
	return strings.Join(parts, "/")
}

// sequencer hands out S3-style sequencers: hex, increasing within this
// process and, being seeded from the clock, across restarts.
type sequencer struct{ last atomic.Int64 }

func (q *sequencer) next() string {
	for {
		prev := q.last.Load()
		n := max(time.Now().UnixNano(), prev+1)
		if q.last.CompareAndSwap(prev, n) {
			return fmt.Sprintf("%016X", n)
		}
	}
}

// emit builds the event for one write and queues it for Notify. Callers hold
// the key lock, so queue order is write order.
func (s *Server) emit(name, bucket, key string, obj objInfo, src string) {
	if s.cfg.Notify == nil {
		return
	}
	reqID := fmt.Sprintf("%016X", s.reqID.Add(1))
	rec := events.S3EventRecord{
		EventVersion: "2.1",
		EventSource:  "aws:s3",
		AWSRegion:    s.cfg.Region,
		EventTime:    time.Now().UTC().Truncate(time.Millisecond),
		EventName:    name,
		PrincipalID:  events.S3UserIdentity{PrincipalID: "AWS:" + s.cfg.AccessKey},
		RequestParameters: events.S3RequestParameters{
			SourceIPAddress: src,
		},
		ResponseElements: map[string]string{
			"x-amz-request-id": reqID,
			"x-amz-id-2":       reqID,
		},
		S3: events.S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: "local",
			Bucket: events.S3Bucket{
				Name:          bucket,
				OwnerIdentity: events.S3UserIdentity{PrincipalID: "LOCAL"},
				Arn:           "arn:aws:s3:::" + bucket,
			},
			Object: events.S3Object{
				Key:           eventKey(key),
				URLDecodedKey: key,
				Size:          obj.size,
				ETag:          obj.etag,
				VersionID:     obj.version,
				Sequencer:     s.seq.next(),
			},
		},
	}
	s.queue.push(bucket+"/"+key, events.S3Event{Records: []events.S3EventRecord{rec}})
}

// dispatcher delivers events one key at a time: each key with pending events
// has one goroutine draining its queue in order.
type dispatcher struct {
	notify func(events.S3Event)
	mu     sync.Mutex
	queues map[string][]events.S3Event
	wg     sync.WaitGroup
}

func newDispatcher(notify func(events.S3Event)) *dispatcher {
	return &dispatcher{notify: notify, queues: map[string][]events.S3Event{}}
}

func (d *dispatcher) push(key string, ev events.S3Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	q, running := d.queues[key]
	d.queues[key] = append(q, ev)
	if !running {
		d.wg.Add(1)
		go d.drain(key)
	}
}

func (d *dispatcher) drain(key string) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		q := d.queues[key]
		if len(q) == 0 {
			delete(d.queues, key)
			d.mu.Unlock()
			return
		}
		ev := q[0]
		d.queues[key] = q[1:]
		d.mu.Unlock()
		d.notify(ev)
	}
}

// wait returns once every queued event has been delivered.
func (d *dispatcher) wait() { d.wg.Wait() }

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
