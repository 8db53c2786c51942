output "instance_id" {
  value = tencentcloud_ckafka_instance.main.id
}

# KAFKA_BROKERS: the instance's address inside the VPC.
output "brokers" {
  value = "${tencentcloud_ckafka_instance.main.vip}:${tencentcloud_ckafka_instance.main.vport}"
}
