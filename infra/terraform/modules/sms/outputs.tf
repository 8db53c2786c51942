# SMS_TEMPLATE_IDS, name=ID pairs.
output "template_ids" {
  value = join(",", [for name, t in tencentcloud_sms_template.template : "${name}=${t.id}"])
}
