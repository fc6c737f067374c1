// Package spec edits the config.json of an OCI bundle so that the
// container's process finds the fds ww hands it, and reads which fds a
// container's annotations ask for.
//
// # Loading and saving
//
// Load reads <bundle>/config.json, LoadFile a config at any path (a copy of
// a bundle's config kept elsewhere). Config.Spec is the runtime-spec view
// to edit. Those types drop fields they do not know, so a Config also keeps
// the JSON it was loaded from, and Save merges: a value the edits changed
// is written as Spec holds it; everything else, at the top level and inside
// process, root, linux, mounts and the rest, is written as it was loaded,
// numbers digit for digit. Only an element of an array that an edit changed
// loses the fields unknown to the types (a mount edited in place, say).
// Keys come out sorted and indented with tabs, so the bytes may change even
// when the content does not.
//
// Save never writes over config.json in place: it writes a temporary file
// in the same folder, syncs it and renames it over config.json. A reader
// sees the old file or the new one, after a crash too (which may bring
// back the old one: the folder is not synced); a failed save leaves the
// old file whole and no temporary file. The new file keeps the owner,
// group and permission bits of the one it replaces (0644 if there was
// none).
//
// A runtime wrapper that only sets variables has no need of the types:
// ParseRaw reads what it needs (annotations, process.env, the namespaces)
// in one pass, and RawConfig.Apply rewrites the value of process.env in
// the file's own bytes, keeping every other byte; a modifier that edits
// more than process.env (an EnvModifier edits only that) makes it go
// through the types as Config does.
//
// # Edits
//
// An edit is a Modifier; Apply checks the input of every modifier before
// it edits anything, then applies them in order. Each modifier gives the
// same spec when applied twice, because a runtime may see the same bundle
// again (a restarted container) and a ww may run inside another:
//
//   - FDEnv removes every WW_FD_* variable from process.env, an outer ww's
//     or an earlier run's, then appends WW_FD_<NAME>=<fd> for the fds
//     handed over now (see fdmgr.EnvName). Named fds land at 3, 4, 5…; the
//     variables tell the process which is which.
//   - SystemdEnv does the same for LISTEN_FDS, LISTEN_FDNAMES and
//     LISTEN_PID, the variables of systemd socket activation, and removes a
//     stale LISTEN_PIDFDID.
//   - Env is the general form: replace some variables, drop by prefix.
//   - Args replaces process.args.
//   - AbsRoot makes a relative root.path absolute against the bundle.
//
// # Annotations
//
// ParseAnnotations reads requests a pod's author wrote as annotations:
//
//	fd.ww.dev/<name>: <source>                    an fd for every container
//	<container>.fd.ww.dev/<name>: <source>        an fd for one container
//	options.ww.dev/systemd: "true"|"false"        also set LISTEN_* variables
//	<container>.options.ww.dev/systemd: ...       the same, for one container
//
// The container is named by io.kubernetes.cri.container-name (containerd)
// or io.kubernetes.container.name (CRI-O); a scoped key beats a general one
// for the same fd. A pod's pause container (container type "sandbox")
// asks for nothing. A source may not be an fd number: no fd of the pod's
// author exists where the runtime runs.
package spec
