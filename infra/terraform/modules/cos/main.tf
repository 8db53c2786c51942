# Business licence images and deposit vouchers (R-EN6). Private: browsers
# upload through presigned PUTs (hence CORS for the console's origins) and
# staff read through the API.

resource "tencentcloud_cos_bucket" "main" {
  bucket = var.bucket
  acl    = "private"

  # Keeps an overwritten or deleted image recoverable for a while.
  versioning_enable = true

  cors_rules {
    allowed_origins = var.allowed_origins
    allowed_methods = ["PUT", "GET", "HEAD"]
    allowed_headers = ["Content-Type", "Content-Length", "Content-MD5", "Authorization", "x-cos-security-token"]
    expose_headers  = ["ETag"]
    max_age_seconds = 600
  }

  # Uploads started and never finished.
  lifecycle_rules {
    id = "abandoned-uploads"
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Images replaced or deleted stay 30 days, then go.
  lifecycle_rules {
    id = "old-versions"
    non_current_expiration {
      non_current_days = 30
    }
  }
}
