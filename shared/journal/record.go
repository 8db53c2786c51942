package journal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// ErrCorrupt marks a file that fails its checksums: it is refused, never
// loaded in part.
var ErrCorrupt = errors.New("refusing to load a damaged journal")

// A file is a magic string and then records. A record is a 12-byte header —
// payload length, CRC-32C of the payload, CRC-32C of those first 8 bytes —
// and the payload. The header has its own checksum so that a flipped bit in a
// length cannot pass for a record cut short by a crash (which would drop it
// and everything after it without a word).
const headerLen = 12

var (
	logMagic      = []byte("cmjlog1\n")
	snapshotMagic = []byte("cmjsnp1\n")
	castagnoli    = crc32.MakeTable(crc32.Castagnoli)
)

// seal fills in the header of rec, a record whose first headerLen bytes
// were left for it.
func seal(rec []byte) []byte {
	payload := rec[headerLen:]
	binary.LittleEndian.PutUint32(rec[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(payload, castagnoli))
	binary.LittleEndian.PutUint32(rec[8:], crc32.Checksum(rec[:8], castagnoli))
	return rec
}

// scan reads the records of the file at path and calls fn with each payload,
// in order. In the file that is still being appended to (tail), an incomplete
// last record is what a crash mid-append leaves: scan stops there and returns
// its offset as end, with torn set. Every other damage is an ErrCorrupt naming
// the file and the byte offset of the record.
func scan(path string, magic []byte, tail bool, fn func(payload []byte) error) (end int64, torn bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, false, err
	}
	size := info.Size()
	corrupt := func(off int64, why string) error {
		return fmt.Errorf("journal: %s: record at byte offset %d: %s: %w", path, off, why, ErrCorrupt)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != string(magic) {
		return 0, false, corrupt(0, "not a journal file of this kind")
	}
	off := int64(len(magic))
	var h [headerLen]byte
	for off < size {
		rest := size - off
		if rest < headerLen {
			if tail {
				return off, true, nil
			}
			return 0, false, corrupt(off, "file ends inside a record header")
		}
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return 0, false, err
		}
		n := int64(binary.LittleEndian.Uint32(h[0:]))
		if binary.LittleEndian.Uint32(h[8:]) != crc32.Checksum(h[:8], castagnoli) {
			// After a power loss the file may end in a zero-filled block whose
			// data never reached the disk; no written record is all zeros.
			if tail && zeroTail(h[:], r) {
				return off, true, nil
			}
			return 0, false, corrupt(off, "header checksum mismatch")
		}
		if headerLen+n > rest {
			if tail {
				return off, true, nil
			}
			return 0, false, corrupt(off, "file ends inside the record")
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return 0, false, err
		}
		if binary.LittleEndian.Uint32(h[4:]) != crc32.Checksum(payload, castagnoli) {
			return 0, false, corrupt(off, "payload checksum mismatch")
		}
		if err := fn(payload); err != nil {
			return 0, false, fmt.Errorf("journal: %s: record at byte offset %d: %w", path, off, err)
		}
		off += headerLen + n
	}
	return off, false, nil
}

// zeroTail tells whether head and everything left in r are zero bytes.
func zeroTail(head []byte, r io.Reader) bool {
	for _, b := range head {
		if b != 0 {
			return false
		}
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b != 0 {
				return false
			}
		}
		if err != nil {
			return err == io.EOF
		}
	}
}
