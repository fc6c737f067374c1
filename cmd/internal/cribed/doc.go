// Package cribed is a test bed for ww through the CRI: it starts a
// containerd (Debian's 1.6, or 2.x from .ci/deps) with its own root,
// state, socket, configuration and CNI network, loads an image made from
// ww's static probe, and hands out the gRPC clients the kubelet uses
// (k8s.io/cri-api's RuntimeService and ImageService). Everything it
// started or made is removed by Close, and by the next Start of the same
// slot should a test process die first.
//
// Tests and ww-bench use it; the ww binary never imports it.
//
// A daemon's configuration has the handlers runc (the default, plain
// runc), floor (BinaryName a program that only execs runc, when
// Options.Floor is set) and those that Options.Install adds, typically
// `ww install containerd --config PATH`. Its environment holds
// Options.Env, which the shim passes on to the runtime it runs: that is
// how a test gives ww runtime its WW_POLICY.
package cribed
