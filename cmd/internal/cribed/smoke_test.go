package cribed_test

import (
	"context"
	"testing"
	"time"

	"github.com/ww-dev/ww/cmd/internal/cribed"
)

func TestSmoke(t *testing.T) {
	requireRoot(t)
	flavors, missing := cribed.Flavors()
	t.Log(missing)
	for _, f := range flavors {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, f)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			p, err := d.RunPod(ctx, cribed.PodSpec{Name: "smoke", Namespace: "ww-a", Handler: "ww",
				Annotations: map[string]string{"fd.ww.dev/one": "node:alpha"}})
			if err != nil {
				t.Fatal(err)
			}
			id, err := p.Start(ctx, cribed.ContainerSpec{Name: "probe", Args: []string{"fds"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Wait(ctx, id); err != nil {
				t.Fatal(err)
			}
			lines, err := p.Log(ctx, "probe")
			if err != nil {
				t.Fatal(err)
			}
			t.Log(lines)
			if err := p.Remove(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
