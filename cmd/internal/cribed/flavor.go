package cribed

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Flavor is one containerd to test with: where its programs are and
// which configuration it reads.
type Flavor struct {
	// Name is "1.6" or "2.x", for test names.
	Name string
	// Containerd, Ctr and Shim are the programs' paths.
	Containerd, Ctr, Shim string
	// Major is containerd's major version: 1 reads a version 2 config
	// with the CRI plugin io.containerd.grpc.v1.cri, 2 a version 3 config
	// with io.containerd.cri.v1.runtime and io.containerd.cri.v1.images.
	Major int
}

// Containerd2Dir is where .ci/deps builds containerd 2.x;
// $WW_CONTAINERD2_DIR overrides it.
const Containerd2Dir = "/opt/ww-ci/containerd-v2.4.2"

// Flavors returns the containerd versions found on this machine, and for
// each one missing, why.
func Flavors() (found []Flavor, missing []string) {
	if f, err := debianFlavor(); err != nil {
		missing = append(missing, "containerd 1.6: "+err.Error())
	} else {
		found = append(found, f)
	}
	dir := os.Getenv("WW_CONTAINERD2_DIR")
	if dir == "" {
		dir = Containerd2Dir
	}
	f := Flavor{Name: "2.x", Major: 2,
		Containerd: filepath.Join(dir, "containerd"),
		Ctr:        filepath.Join(dir, "ctr"),
		Shim:       filepath.Join(dir, "containerd-shim-runc-v2")}
	if err := f.check(); err != nil {
		missing = append(missing, "containerd 2.x: "+err.Error()+" (built by .ci/deps)")
	} else {
		found = append(found, f)
	}
	return found, missing
}

func debianFlavor() (Flavor, error) {
	bin, err := exec.LookPath("containerd")
	if err != nil {
		return Flavor{}, err
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return Flavor{}, fmt.Errorf("%s --version: %w", bin, err)
	}
	// "containerd github.com/containerd/containerd 1.6.20~ds1 …"
	fields := strings.Fields(string(out))
	if len(fields) < 3 || !strings.HasPrefix(fields[2], "1.") && !strings.HasPrefix(fields[2], "v1.") {
		return Flavor{}, fmt.Errorf("%s is %q, not 1.x", bin, strings.TrimSpace(string(out)))
	}
	dir := filepath.Dir(bin)
	f := Flavor{Name: "1.6", Major: 1, Containerd: bin,
		Ctr: filepath.Join(dir, "ctr"), Shim: filepath.Join(dir, "containerd-shim-runc-v2")}
	return f, f.check()
}

func (f Flavor) check() error {
	for _, p := range []string{f.Containerd, f.Ctr, f.Shim} {
		if _, err := exec.LookPath(p); err != nil {
			return err
		}
	}
	return nil
}
