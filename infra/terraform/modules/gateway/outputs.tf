output "gateway_id" {
  value = tencentcloud_tse_cngw_gateway.main.id
}

output "public_ip" {
  value = tencentcloud_tse_cngw_gateway.main.public_ip_addresses[0]
}
