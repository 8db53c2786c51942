output "role_name" {
  value = tencentcloud_cam_role.functions.name
}
