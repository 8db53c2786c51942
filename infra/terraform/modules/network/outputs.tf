output "vpc_id" {
  value = tencentcloud_vpc.main.id
}

output "functions_subnet_id" {
  value = tencentcloud_subnet.functions.id
}

output "data_subnet_id" {
  value = tencentcloud_subnet.data.id
}

output "gateway_subnet_id" {
  value = tencentcloud_subnet.gateway.id
}

output "functions_security_group_id" {
  value = tencentcloud_security_group.functions.id
}

output "mongodb_security_group_id" {
  value = tencentcloud_security_group.mongodb.id
}
