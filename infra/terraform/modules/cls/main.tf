# Where the functions' log lines go (serverless.yml's cls settings): one
# JSON access line per request and the operations' own lines, with the request
# ID in each, and the metric lines (shared/observe).

resource "tencentcloud_cls_logset" "main" {
  logset_name = var.name
}

resource "tencentcloud_cls_topic" "functions" {
  logset_id    = tencentcloud_cls_logset.main.id
  topic_name   = "${var.name}-functions"
  describes    = "cloudmarket function logs: access lines, operation lines, metrics."
  period       = var.retention_days
  auto_split   = true
  storage_type = "hot"
}
