// Package journal is a durable, incremental lungo.Store: a snapshot of the
// embedded engine's catalogue plus an append-only log of each commit's
// changes, checksummed, fsynced before the commit returns, compacted into a
// new snapshot as the log grows, and locked to one process.
//
// It is hand-written rather than built on a WAL library: tidwall/wal, the
// common choice, frames a record with its length and no checksum, so a
// flipped bit would load silently; and what is needed beyond appending
// records (telling a torn tail from damage, snapshot rotation, the process
// lock) is most of this package anyway.
//
// The directory holds snapshot.N (the catalogue as of the start of log.N),
// log.N, log.N+1, … (each newer than the one before) and LOCK. Files are
// made under a .tmp name, fsynced and renamed into place, so each is whole.
package journal

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/bsonkit"
)

// Options tune a journal; the zero value is fine.
type Options struct {
	// CompactAt is the log size that starts a compaction, unless the last
	// snapshot is larger (so rewriting it costs at most what was appended).
	// Default 4 MiB.
	CompactAt int64
	// Log receives the warning about a dropped torn record and background
	// compaction errors. Default slog.Default().
	Log *slog.Logger
}

// Journal implements lungo.Store. The engine calls Store once per dirty
// commit, serially; a background compaction is the only other writer.
type Journal struct {
	dir  string
	opt  Options
	lock *os.File
	done sync.WaitGroup // the background compaction

	compactMu sync.Mutex // one compaction at a time

	mu         sync.Mutex
	gen        uint64 // number of the log being appended to
	log        *os.File
	size       int64 // bytes in log
	snapSize   int64
	prev       *lungo.Catalog // the catalogue on disk
	seen       bsonkit.Doc    // newest oplog entry of prev, see changes
	broken     error          // a failed append that could not be undone
	compacting bool           // a background compaction is on its way
	retryAt    int64          // log size for the next try after a failed one
	closed     bool
}

// Open locks dir (creating it) and replays its snapshot and logs.
func Open(dir string, opt Options) (*Journal, error) {
	if opt.CompactAt <= 0 {
		opt.CompactAt = 4 << 20
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	j := &Journal{dir: dir, opt: opt, lock: lock}
	if err := j.load(); err != nil {
		_ = lock.Close()
		return nil, err
	}
	j.maybeCompact()
	return j, nil
}

// load replays the newest snapshot and the logs after it, drops a torn last
// record, removes what a finished compaction left behind and opens the last
// log for appending.
func (j *Journal) load() error {
	snaps, logs, err := j.files()
	if err != nil {
		return err
	}
	r := newReplay()
	var base uint64 = 1 // the first log when there is no snapshot
	if len(snaps) > 0 {
		base = snaps[len(snaps)-1]
		path := j.path("snapshot", base)
		if _, _, err := scan(path, snapshotMagic, false, r.apply); err != nil {
			return err
		}
		if !r.ended {
			return fmt.Errorf("journal: %s: snapshot has no end record: %w", path, ErrCorrupt)
		}
		if info, err := os.Stat(path); err == nil {
			j.snapSize = info.Size()
		}
	}
	var live []uint64
	for _, g := range logs {
		if g >= base {
			live = append(live, g)
		}
	}
	for i, g := range live {
		if g != base+uint64(i) {
			return fmt.Errorf("journal: %s: log %d is missing: %w", j.dir, base+uint64(i), ErrCorrupt)
		}
	}
	for i, g := range live {
		path := j.path("log", g)
		last := i == len(live)-1
		end, torn, err := scan(path, logMagic, last, r.apply)
		if err != nil {
			return err
		}
		if torn {
			if err := truncate(path, end); err != nil {
				return err
			}
			j.opt.Log.Warn("journal: dropped an incomplete record at the end of the log (a write cut short by a crash; it was never acknowledged)",
				"file", path, "offset", end)
		}
		if last {
			j.size = end
		}
	}
	if j.prev, err = r.catalog(); err != nil {
		return err
	}
	// Whatever a crash left half done, or a finished compaction left over.
	entries, _ := os.ReadDir(j.dir)
	for _, e := range entries {
		kind, g, ok := parseName(e.Name())
		if strings.HasSuffix(e.Name(), ".tmp") || ok && g < base && (kind == "log" || kind == "snapshot") {
			_ = os.Remove(filepath.Join(j.dir, e.Name()))
		}
	}
	if len(live) == 0 {
		j.gen = base
		j.log, err = createFile(j.dir, j.path("log", base), logMagic)
		j.size = int64(len(logMagic))
		return err
	}
	j.gen = live[len(live)-1]
	j.log, err = os.OpenFile(j.path("log", j.gen), os.O_WRONLY|os.O_APPEND, 0)
	return err
}

// files lists the snapshot and log numbers in dir, in ascending order.
func (j *Journal) files() (snaps, logs []uint64, err error) {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	for _, e := range entries {
		switch kind, g, ok := parseName(e.Name()); {
		case ok && kind == "snapshot":
			snaps = append(snaps, g)
		case ok && kind == "log":
			logs = append(logs, g)
		}
	}
	sort.Slice(snaps, func(a, b int) bool { return snaps[a] < snaps[b] })
	sort.Slice(logs, func(a, b int) bool { return logs[a] < logs[b] })
	return snaps, logs, nil
}

func parseName(name string) (kind string, gen uint64, ok bool) {
	kind, num, found := strings.Cut(name, ".")
	if !found {
		return "", 0, false
	}
	gen, err := strconv.ParseUint(num, 10, 64)
	return kind, gen, err == nil
}

func (j *Journal) path(kind string, gen uint64) string {
	return filepath.Join(j.dir, fmt.Sprintf("%s.%08d", kind, gen))
}

// Load returns the catalogue on disk.
func (j *Journal) Load() (*lungo.Catalog, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.prev, nil
}

// Store appends what changed since the last call as one record and returns
// once it is on disk. On error the log is as before, and the engine keeps
// the previous catalogue.
func (j *Journal) Store(next *lungo.Catalog) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errors.New("journal: closed")
	}
	if j.broken != nil {
		return j.broken
	}
	var b batch
	seen := changes(&b, j.prev, next, j.seen)
	if b.err != nil {
		return fmt.Errorf("journal: encode: %w", b.err)
	}
	if b.size() > 0 {
		if err := j.append(seal(b.buf)); err != nil {
			return err
		}
	}
	j.prev, j.seen = next, seen
	j.maybeCompactLocked()
	return nil
}

func (j *Journal) append(rec []byte) error {
	_, err := j.log.Write(rec)
	if err == nil {
		err = j.log.Sync()
	}
	if err == nil {
		j.size += int64(len(rec))
		return nil
	}
	err = fmt.Errorf("journal: append to %s: %w", j.log.Name(), err)
	// Undo a partial write, or the next record would follow garbage.
	if terr := j.log.Truncate(j.size); terr != nil {
		j.broken = fmt.Errorf("%w; undoing it failed too (%v): reopen the store", err, terr)
	} else if serr := j.log.Sync(); serr != nil {
		j.broken = fmt.Errorf("%w; undoing it failed too (%v): reopen the store", err, serr)
	}
	return err
}

// Close waits for a running compaction, then releases the files and the
// lock. Every acknowledged commit is already on disk.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	j.done.Wait()
	return errors.Join(j.log.Close(), j.lock.Close())
}

func (j *Journal) maybeCompact() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.maybeCompactLocked()
}

func (j *Journal) maybeCompactLocked() {
	if j.compacting || j.closed || j.size < max(j.opt.CompactAt, j.snapSize, j.retryAt) {
		return
	}
	j.compacting = true
	j.done.Add(1)
	go func() {
		defer j.done.Done()
		err := j.Compact()
		j.mu.Lock()
		defer j.mu.Unlock()
		j.compacting, j.retryAt = false, 0
		if err != nil {
			// Not again on every commit (say the disk is full).
			j.retryAt = j.size + j.opt.CompactAt
			j.opt.Log.Error("journal: compaction failed; the log keeps growing until one succeeds", "dir", j.dir, "err", err)
		}
	}()
}

// Compact writes the catalogue as a new snapshot and drops the logs it
// covers, after any compaction already running. Commits go on meanwhile,
// into a new log.
func (j *Journal) Compact() error {
	j.compactMu.Lock()
	defer j.compactMu.Unlock()
	return j.compact()
}

// compact is crash-safe at every step: until snapshot.N+1 is renamed into
// place, load uses snapshot.N with log.N and log.N+1; after, snapshot.N+1
// with log.N+1, and removes the rest.
func (j *Journal) compact() error {
	j.mu.Lock()
	if j.closed || j.broken != nil {
		j.mu.Unlock()
		return nil
	}
	gen := j.gen + 1
	f, err := createFile(j.dir, j.path("log", gen), logMagic)
	if err != nil {
		j.mu.Unlock()
		return err
	}
	old, cat := j.log, j.prev
	j.log, j.gen, j.size = f, gen, int64(len(logMagic))
	j.mu.Unlock()
	_ = old.Close()

	size, err := writeSnapshot(j.dir, j.path("snapshot", gen), cat)
	if err != nil {
		return err
	}
	snaps, logs, err := j.files()
	if err != nil {
		return err
	}
	for _, g := range snaps {
		if g < gen {
			_ = os.Remove(j.path("snapshot", g))
		}
	}
	for _, g := range logs {
		if g < gen {
			_ = os.Remove(j.path("log", g))
		}
	}
	j.mu.Lock()
	j.snapSize = size
	j.mu.Unlock()
	return syncDir(j.dir)
}

// writeSnapshot writes every collection of cat but the oplog (nothing here
// reads it across restarts) in records of about a megabyte.
func writeSnapshot(dir, path string, cat *lungo.Catalog) (int64, error) {
	names := make(map[string]lungo.Handle, len(cat.Namespaces))
	for h := range cat.Namespaces {
		if h != lungo.Oplog {
			names[h.String()] = h
		}
	}
	return writeFile(dir, path, snapshotMagic, func(w *bufio.Writer) error {
		var b batch
		flush := func() error {
			if b.err != nil || b.size() == 0 {
				return b.err
			}
			_, err := w.Write(seal(b.buf))
			b.buf = b.buf[:headerLen]
			return err
		}
		for _, ns := range sortedKeys(names) {
			h := names[ns]
			coll := cat.Namespaces[h]
			b.create(h)
			diffIndexes(&b, h, nil, coll)
			for _, d := range coll.Documents.List {
				b.put(h, d)
				if b.size() >= 1<<20 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		b.end()
		return flush()
	})
}

// createFile makes a file holding magic, durably.
func createFile(dir, path string, magic []byte) (*os.File, error) {
	if _, err := writeFile(dir, path, magic, func(*bufio.Writer) error { return nil }); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
}

// writeFile writes magic and then body to path.tmp, fsyncs it, renames it
// to path and fsyncs dir, so path is either absent or whole.
func writeFile(dir, path string, magic []byte, body func(*bufio.Writer) error) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, fmt.Errorf("journal: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	_, err = w.Write(magic)
	if err == nil {
		err = body(w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	var size int64
	if err == nil {
		var info os.FileInfo
		if info, err = f.Stat(); err == nil {
			size = info.Size()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return 0, fmt.Errorf("journal: write %s: %w", path, err)
	}
	return size, nil
}

func truncate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// syncDir makes renames and removals in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
