// Package objstore is object storage through aws-sdk-go-v2's S3 client: COS in
// production (virtual-host style, checksums only when required, as COS expects)
// and the in-process gofakes3 server locally (path style).
package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"cloudmarket/shared/operation"
)

// PresignTTL is how long an upload URL stays valid.
const PresignTTL = 15 * time.Minute

// Config locates a bucket.
type Config struct {
	Endpoint  string // https://cos.<region>.myqcloud.com, or the local fake's URL
	Region    string // e.g. ap-guangzhou
	Bucket    string // COS: <name>-<appid>
	PathStyle bool   // true only for the local fake: COS refuses path style on new buckets
	SecretID  string
	SecretKey string
	Token     string // SCF's temporary session token
}

// COSEndpoint is the S3-compatible endpoint of a COS region.
func COSEndpoint(region string) string { return "https://cos." + region + ".myqcloud.com" }

// Bucket is one bucket behind the S3 API.
type Bucket struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
	now     func() time.Time
}

// New builds the client. now is the clock used for URL expiry times.
func New(cfg Config, now func() time.Time) *Bucket {
	client := s3.New(s3.Options{
		Region:                     cfg.Region,
		BaseEndpoint:               aws.String(cfg.Endpoint),
		UsePathStyle:               cfg.PathStyle,
		Credentials:                credentials.NewStaticCredentialsProvider(cfg.SecretID, cfg.SecretKey, cfg.Token),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	return &Bucket{client: client, presign: s3.NewPresignClient(client), bucket: cfg.Bucket, now: now}
}

// PresignPut signs a PUT of exactly size bytes of contentType: both are signed
// headers, so the store refuses anything else.
func (b *Bucket) PresignPut(ctx context.Context, key, contentType string, size int64) (string, time.Time, error) {
	req, err := b.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.bucket), Key: aws.String(key),
		ContentType: aws.String(contentType), ContentLength: aws.Int64(size),
	}, s3.WithPresignExpires(PresignTTL))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("objstore: presign: %w", err)
	}
	return req.URL, b.now().Truncate(time.Second).Add(PresignTTL), nil
}

// Read returns at most max+1 bytes of the object.
func (b *Bucket) Read(ctx context.Context, key string, max int64) ([]byte, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)})
	if err != nil {
		var noKey *types.NoSuchKey
		var status interface{ HTTPStatusCode() int }
		if errors.As(err, &noKey) || (errors.As(err, &status) && status.HTTPStatusCode() == http.StatusNotFound) {
			return nil, operation.ErrNoObject
		}
		return nil, fmt.Errorf("objstore: get %s: %w", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("objstore: read %s: %w", key, err)
	}
	return data, nil
}
