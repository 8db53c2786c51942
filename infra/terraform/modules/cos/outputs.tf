output "bucket" {
  value = tencentcloud_cos_bucket.main.bucket
}
