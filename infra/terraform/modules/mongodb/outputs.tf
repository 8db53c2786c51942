# MONGODB_URI. mongouser is the account TencentDB creates with the password;
# the password is URL-encoded, so any character it holds survives the URI.
output "uri" {
  value     = "mongodb://mongouser:${urlencode(var.password)}@${tencentcloud_mongodb_instance.main.vip}:${tencentcloud_mongodb_instance.main.vport}/admin?replicaSet=${tencentcloud_mongodb_instance.main.id}"
  sensitive = true
}
