package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"cloudmarket/shared/fault"
)

// checkStrict is the first half of Request.Decode: a walk over the body's
// tokens, against the target type's own json tags, that refuses what
// encoding/json lets through silently: a field name in another case
// ("CONTENTTYPE" for contentType), a key given twice (encoding/json keeps the
// last), a null body, invalid UTF-8 (it becomes U+FFFD), and text with NUL,
// other control characters or bidi overrides. encoding/json then decodes the
// same bytes as before, with unknown fields and wrong types refused.
//
// Why a token walk and not another decoder: the Go json/v2 experiment is not
// in the standard library by default, and its module
// (github.com/go-json-experiment/json) is pre-1.0 with different semantics
// elsewhere (byte slices, time values, error types) that every request type
// and error message here would have to follow. The walk is a few dozen lines
// on the standard library's own tokenizer, and leaves one decoder in place.
func checkStrict(body []byte, target reflect.Type) error {
	if !utf8.Valid(body) {
		return fault.New(fault.InvalidParameter, "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return decodeError(err)
	}
	if tok == nil {
		return fault.New(fault.InvalidParameter, "The request body must be a JSON object, not null.")
	}
	return walk(dec, tok, target, "")
}

// walk checks the value that starts with tok, expected to decode into t (nil:
// anything).
func walk(dec *json.Decoder, tok json.Token, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := tok.(type) {
	case string:
		return checkText(path, v)
	case json.Delim:
		if v == '[' {
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			for i := 0; dec.More(); i++ {
				if err := walkNext(dec, elem, path); err != nil {
					return err
				}
			}
			_, err := dec.Token() // ]
			return tokenError(err)
		}
		return walkObject(dec, t, path)
	}
	return nil
}

func walkNext(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return tokenError(err)
	}
	return walk(dec, tok, t, path)
}

func walkObject(dec *json.Decoder, t reflect.Type, path string) error {
	var fields map[string]reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		fields = jsonFields(t)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return tokenError(err)
		}
		key, _ := tok.(string)
		name := joinPath(path, key)
		if err := checkText(name, key); err != nil {
			return err
		}
		if seen[key] {
			return fault.New(fault.InvalidParameter, "Field %q appears twice in the request body; send each field once.", name)
		}
		seen[key] = true
		var sub reflect.Type
		if fields != nil {
			ft, ok := fields[key]
			if !ok {
				for known := range fields {
					if strings.EqualFold(known, key) {
						return fault.New(fault.InvalidParameter, "Field %q is not spelled as the API names it: use %q (field names are case-sensitive).", name, joinPath(path, known))
					}
				}
				return fault.New(fault.InvalidParameter, "Unknown field %q in the request body; check its spelling against the API.", name)
			}
			sub = ft
		} else if t != nil && t.Kind() == reflect.Map {
			sub = t.Elem()
		}
		if err := walkNext(dec, sub, name); err != nil {
			return err
		}
	}
	_, err := dec.Token() // }
	return tokenError(err)
}

func tokenError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return decodeError(err)
}

// jsonFields maps a struct's JSON names (exactly as tagged) to their types,
// with embedded structs' fields promoted as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		out[tag] = f.Type
	}
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// checkText refuses text no field of the API needs and that hides what it
// says: NUL and other control characters (tab and line breaks are text),
// bidi overrides and isolates (which reorder what a reviewer reads), and
// U+FFFD, which is what an unpaired surrogate escape decodes to.
func checkText(field, s string) error {
	for _, r := range s {
		var what string
		switch {
		case r == 0:
			what = "a NUL character"
		case r == '\t' || r == '\n' || r == '\r':
			continue
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			what = "a control character"
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			what = "a bidirectional override"
		case r == utf8.RuneError:
			what = "an invalid character (an unpaired surrogate or broken UTF-8)"
		default:
			continue
		}
		if field == "" {
			return fault.New(fault.InvalidParameterValue, "The request body holds %s (U+%04X); send plain text.", what, r)
		}
		return fault.New(fault.InvalidParameterValue, "Field %q holds %s (U+%04X); send plain text.", field, what, r)
	}
	return nil
}
