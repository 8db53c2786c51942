output "logset_id" {
  value = tencentcloud_cls_logset.main.id
}

output "topic_id" {
  value = tencentcloud_cls_topic.functions.id
}
