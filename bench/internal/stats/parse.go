package stats

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// MaxLine bounds one snapshot line; AppendJSON of the largest values stays
// well below it.
const MaxLine = 1024

// Parse reads the snapshot lines of r. A last line without its newline is a
// write in progress and is skipped; any other line that is not a snapshot
// object gives ErrBadLine, and a line over MaxLine gives ErrLineTooLong.
func Parse(r io.Reader) ([]Snapshot, error) {
	br := bufio.NewReaderSize(r, MaxLine+1)
	var out []Snapshot
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return out, fmt.Errorf("%w (line %d)", ErrLineTooLong, n)
		}
		if err == io.EOF {
			return out, nil // nothing, or a partial last line
		}
		if err != nil {
			return out, err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var s Snapshot
		d := json.NewDecoder(bytes.NewReader(line))
		d.DisallowUnknownFields()
		if line[0] != '{' || d.Decode(&s) != nil || d.More() || s.Seq < 1 {
			return out, fmt.Errorf("%w (line %d)", ErrBadLine, n)
		}
		out = append(out, s)
	}
}

// ReadFile parses the snapshot file at path.
func ReadFile(path string) ([]Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f)
}

// Wait polls the file at path until it holds a snapshot with Seq greater
// than after, and returns the first such, or ErrTimeout.
func Wait(path string, after int64, timeout time.Duration) (Snapshot, error) {
	deadline := time.Now().Add(timeout)
	for {
		ss, err := ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			return Snapshot{}, err
		}
		for _, s := range ss {
			if s.Seq > after {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			return Snapshot{}, fmt.Errorf("%w: %s after %v", ErrTimeout, path, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
