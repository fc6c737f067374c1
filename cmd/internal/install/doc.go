// Package install adds a ww runtime handler to a node's container runtime
// configuration, and takes it out again.
//
// An install is planned first, then applied: a Plan lists the files to
// write or remove, in an order that leaves the runtime's configuration
// loadable after each step (a drop-in is written before the main file
// imports it, and the import is removed before the drop-in). Planning reads
// files and changes nothing, so a dry run prints the plan; a plan with no
// changes means the node already has what was asked.
//
// containerd's main file is only edited where its imports must name the
// drop-in: that one key is rewritten in place, by its position in the
// parsed document, so every comment and every other line stays as it was;
// a copy of the file is kept beside it and put back on uninstall.
//
// Other files that ww wants on a node join an install as more Changes in
// a Plan, through Plan.Add, which leaves out a file that already holds its
// content; each part decides which existing files are its own to replace
// or remove: the TOML drop-ins by their first line (marker), the OCI
// hooks of deploy/hooks.d (Hooks) by a "comment" key, as JSON has no
// comment lines.
package install
