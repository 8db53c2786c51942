# CKafka: the payment system's verified notifications queue here between the
# notify functions and apply-payment (its CKafka trigger).

resource "tencentcloud_ckafka_instance" "main" {
  instance_name      = var.name
  zone_id            = var.zone_id
  vpc_id             = var.vpc_id
  subnet_id          = var.subnet_id
  charge_type        = "POSTPAID_BY_HOUR"
  kafka_version      = "2.4.1"
  msg_retention_time = 4320 # 3 days: room to replay after an outage
}

resource "tencentcloud_ckafka_topic" "topic" {
  for_each      = toset(var.topics)
  instance_id   = tencentcloud_ckafka_instance.main.id
  topic_name    = each.key
  partition_num = 3
  replica_num   = 2
  # A message is only taken from the payment system once it is stored twice.
  sync_replica_min_num           = 2
  unclean_leader_election_enable = false
  retention                      = 259200000 # ms, as msg_retention_time
}
