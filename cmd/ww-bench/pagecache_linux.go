package main

import (
	"fmt"
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// evictPrograms drops the page cache of every program the cases start,
// once its pages are on disk, so that each is loaded as exec loads a
// program from disk, whoever wrote the file and however.
//
// How a file was written decides how its pages sit in the cache: the Go
// linker writes through a shared mapping and leaves 4 KiB pages, as a
// program read back by exec has them, while cp, install or a package
// manager write with write(2), which fills large folios. A program whose
// pages sit in large folios starts faster (measured here: 0.13 ms for the
// launcher, 0.22 ms for the larger ww), so without this a ratio would
// depend on how each binary came to be, not on what it does. It returns
// what could not be done, as notes: an evicted cache makes the
// comparison fair, it is not a condition for measuring.
func evictPrograms(cases []benchCase) []string {
	var notes, done []string
	for _, c := range cases {
		path := c.argv[0]
		if slices.Contains(done, path) {
			continue
		}
		done = append(done, path)
		if err := evictPageCache(path); err != nil {
			notes = append(notes, fmt.Sprintf("page cache of %s kept: %v", path, err))
		}
	}
	return notes
}

// evictPageCache writes back path's dirty pages, then drops its clean
// ones from the page cache; pages that a running process maps stay.
func evictPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fd := int(f.Fd())
	if err := unix.Fdatasync(fd); err != nil {
		return fmt.Errorf("fdatasync: %w", err)
	}
	if err := unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("fadvise: %w", err)
	}
	return nil
}
