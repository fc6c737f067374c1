// Package hook keeps ww runtime's record of each container it handed fds
// to, and checks and cleans up by it: the proof that a container holds
// what ww opened for it (ww hook createRuntime), and the removal of what
// ww made on the host for a container that is gone (ww hook poststop,
// ww runtime delete, a later create of the same container ID).
//
// A record lives in a folder only root can write (DefaultDir, 0700), one
// file per container, named by the container ID and the lower runtime's
// root (IDs are unique per root only): never in the bundle or an
// annotation, which the container's author writes. When opening may make
// files on the host (listen:unix: socket files, create= files), a record
// is first written before ww opens anything, with their paths, so that a
// create killed outright (SIGKILL) is still found; it is written (again)
// after opening, with the identity (device and inode) of every object
// handed over and of every file made, and marked once the container is
// created. Each write is atomic. A file is removed only while it is the
// one recorded; a path recorded before opening, with no identity yet,
// only when its file, in the folder that the path named then, was born
// after the record was begun, is not what was there before, and no other
// record claims it; a socket file, only when no process but the ww
// runtime that made the record listens on it.
package hook
