package spec

import "reflect"

// The runtime-spec types drop every field they do not know, so a config
// written from them alone would lose what a newer runtime-spec, a vendor or
// a future runtime put in it. A save instead merges three views of the same
// JSON: raw, the file as loaded; old, the fields the types knew as loaded;
// cur, those fields now. A value the edits left alone is written as loaded;
// a key the types knew and the edits removed is dropped; a key the types
// never knew is kept.

// mergeObject merges one JSON object. old may be nil when the types did not
// know the object before the edits.
func mergeObject(raw, old, cur map[string]any) map[string]any {
	out := make(map[string]any, len(raw)+len(cur))
	for k, v := range raw {
		_, known := old[k]
		_, kept := cur[k]
		if known && !kept {
			continue
		}
		out[k] = v
	}
	for k, c := range cur {
		r, inRaw := raw[k]
		if !inRaw {
			out[k] = c
			continue
		}
		out[k] = mergeValue(r, old[k], c)
	}
	return out
}

// mergeValue merges one JSON value present in both raw and cur.
func mergeValue(raw, old, cur any) any {
	if reflect.DeepEqual(old, cur) {
		return raw
	}
	switch c := cur.(type) {
	case map[string]any:
		r, ok := raw.(map[string]any)
		if !ok {
			return cur
		}
		o, _ := old.(map[string]any)
		return mergeObject(r, o, c)
	case []any:
		r, rok := raw.([]any)
		o, ook := old.([]any)
		if !rok || !ook || len(r) != len(o) {
			return cur
		}
		return mergeArray(r, o, c)
	default:
		return cur
	}
}

// mergeArray keeps, of an edited array, each raw element whose known
// fields the edits left as they were, wherever the edits moved it; every
// other element is written as the edits left it. An element is matched only
// to one with equal known fields, so the unknown fields of one mount, say,
// never end up on another.
func mergeArray(raw, old, cur []any) []any {
	used := make([]bool, len(old))
	out := make([]any, len(cur))
	for i, c := range cur {
		out[i] = c
		for j, o := range old {
			if !used[j] && reflect.DeepEqual(o, c) {
				used[j] = true
				out[i] = raw[j]
				break
			}
		}
	}
	return out
}
