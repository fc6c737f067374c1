package policy

import (
	"encoding/json"
	"time"
)

// maxAuditField bounds each string of an audit line, and maxAuditReason
// the reason, which quotes other values already cut: a line stays well
// under MaxAuditLine, however long the annotation.
const (
	maxAuditField  = 256
	maxAuditReason = 1024
)

// MaxAuditLine is the most bytes AuditLine writes, newline included: six
// fields cut (each with a 3-byte "…"), each byte of which JSON may write
// as \u00XX, and room for the keys, the time and the verdict.
const MaxAuditLine = 6*(5*(maxAuditField+3)+maxAuditReason+3) + 256

// auditRecord is one line of the audit file.
type auditRecord struct {
	Time      string `json:"time"`
	Container string `json:"container"`
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Key       string `json:"key"`
	Source    string `json:"source"`
	Verdict   string `json:"verdict"`
	Reason    string `json:"reason"`
}

// AuditLine is the audit file's line for decision d about container c,
// made at now: one JSON object and a newline, at most MaxAuditLine bytes.
func AuditLine(now time.Time, c Container, d Decision) []byte {
	rec := auditRecord{
		Time:      now.UTC().Format(time.RFC3339Nano),
		Container: cutTo(c.ID, maxAuditField),
		Namespace: cutTo(d.Namespace, maxAuditField),
		Pod:       cutTo(c.PodName, maxAuditField),
		Key:       cutTo(d.Key, maxAuditField),
		Source:    cutTo(d.Source, maxAuditField),
		Verdict:   d.Verdict(),
		Reason:    cutTo(d.Reason, maxAuditReason),
	}
	// A struct of strings: Marshal has no error to give (bad UTF-8 is
	// written as U+FFFD).
	line, _ := json.Marshal(rec)
	return append(line, '\n')
}

// cutTo cuts s after n bytes, marking the cut.
func cutTo(s string, n int) string {
	if head, cutShort := cutAt(s, n); cutShort {
		return head + "…"
	}
	return s
}
