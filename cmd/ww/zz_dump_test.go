package main

import "testing"

func TestZZDump(t *testing.T) {
	img := probeImage(t, "latest")
	img.writeDir(t, "/tmp/wwproto/layout")
	img.writeTar(t, "/tmp/wwproto/layout.tar")
}
