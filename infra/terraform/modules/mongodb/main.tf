# TencentDB for MongoDB, a replica set: operations run multi-document
# transactions. Reached inside the VPC only, through its security group.

resource "tencentcloud_mongodb_instance" "main" {
  instance_name   = var.name
  memory          = var.memory_gb
  volume          = var.volume_gb
  engine_version  = "MONGO_60_WT"
  machine_type    = "HIO10G"
  available_zone  = var.availability_zone
  vpc_id          = var.vpc_id
  subnet_id       = var.subnet_id
  security_groups = var.security_group_ids
  password        = var.password
}
