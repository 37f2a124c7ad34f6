//! Timers: Go's `time.Sleep`, `time.After`, `time.NewTimer`, `time.NewTicker` (in progress).
