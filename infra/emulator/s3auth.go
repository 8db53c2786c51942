package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// signedS3 puts AWS Signature Version 4 in front of the fake S3, as COS and S3
// do: a request must be presigned (query) or signed (Authorization header)
// with the configured key, unexpired, over the headers it names. Without it
// anyone who can reach the port could read or overwrite any licence. The
// request is checked as the client sent it, before the /_local/s3 prefix is
// stripped.
type signedS3 struct {
	next      http.Handler
	accessKey string
	secretKey string
	now       func() time.Time // wall clock: the SDK signs with it, not the test clock
}

const sigAlgorithm = "AWS4-HMAC-SHA256"

func (s signedS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if msg := s.verify(r); msg != "" {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>` + msg + `</Message></Error>`))
		return
	}
	s.next.ServeHTTP(w, r)
}

// sigInput is what a signature covers, from the query or the header.
type sigInput struct {
	credential, signedHeaders, signature, date, payloadHash string
	expires                                                 time.Duration // presigned only
}

// verify returns why a request is refused, or "" when its signature holds.
func (s signedS3) verify(r *http.Request) string {
	q := r.URL.Query()
	var in sigInput
	presigned := q.Get("X-Amz-Signature") != ""
	if presigned {
		if q.Get("X-Amz-Algorithm") != sigAlgorithm {
			return "unsupported signature algorithm"
		}
		secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err != nil || secs <= 0 || secs > 7*24*3600 {
			return "X-Amz-Expires is missing or out of range"
		}
		in = sigInput{credential: q.Get("X-Amz-Credential"), signedHeaders: q.Get("X-Amz-SignedHeaders"), signature: q.Get("X-Amz-Signature"),
			date: q.Get("X-Amz-Date"), payloadHash: "UNSIGNED-PAYLOAD", expires: time.Duration(secs) * time.Second}
	} else {
		auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), sigAlgorithm+" ")
		if !ok {
			return "the request is not signed"
		}
		for _, part := range strings.Split(auth, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				in.credential = v
			case "SignedHeaders":
				in.signedHeaders = v
			case "Signature":
				in.signature = v
			}
		}
		in.date, in.payloadHash = r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Content-Sha256")
		if in.payloadHash == "" {
			in.payloadHash = "UNSIGNED-PAYLOAD"
		}
	}
	signedAt, err := time.Parse("20060102T150405Z", in.date)
	if err != nil {
		return "X-Amz-Date is missing or malformed"
	}
	now := s.now()
	switch {
	case presigned && now.After(signedAt.Add(in.expires)):
		return "the presigned URL has expired"
	case !presigned && (now.Sub(signedAt) > 15*time.Minute || signedAt.Sub(now) > 15*time.Minute):
		return "the request time is too far from the server time"
	}
	scope := strings.Split(in.credential, "/") // AK/yyyymmdd/region/s3/aws4_request
	if len(scope) != 5 || scope[3] != "s3" || scope[4] != "aws4_request" || scope[1] != in.date[:8] {
		return "malformed credential scope"
	}
	if scope[0] != s.accessKey {
		return "unknown access key"
	}
	headers := strings.Split(in.signedHeaders, ";")
	if !slices.Contains(headers, "host") {
		return "the host header must be signed"
	}
	var canonHeaders strings.Builder
	for _, h := range headers {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = r.Header.Get("Content-Length")
			if v == "" && r.ContentLength >= 0 {
				v = strconv.FormatInt(r.ContentLength, 10)
			}
		default:
			v = strings.Join(r.Header.Values(h), ",")
		}
		canonHeaders.WriteString(h + ":" + strings.Join(strings.Fields(v), " ") + "\n")
	}
	canonical := strings.Join([]string{r.Method, r.URL.EscapedPath(), canonicalQuery(q), canonHeaders.String(), in.signedHeaders, in.payloadHash}, "\n")
	sum := sha256.Sum256([]byte(canonical))
	scopeStr := strings.Join(scope[1:], "/")
	toSign := strings.Join([]string{sigAlgorithm, in.date, scopeStr, hex.EncodeToString(sum[:])}, "\n")
	key := hmacSHA256([]byte("AWS4"+s.secretKey), scope[1])
	for _, part := range scope[2:] {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(in.signature)) {
		return "the signature does not match"
	}
	return ""
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalQuery sorts the parameters (the signature itself excluded) and
// encodes them as SigV4 does: everything but A-Z a-z 0-9 - _ . ~ escaped.
func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "X-Amz-Signature" {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return sigEscape(keys[i]) < sigEscape(keys[j]) })
	var parts []string
	for _, k := range keys {
		vs := append([]string{}, q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, sigEscape(k)+"="+sigEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

func sigEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
