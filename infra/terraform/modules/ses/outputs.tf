# SES_TEMPLATE_IDS, name=ID pairs.
output "template_ids" {
  value = join(",", [for name, t in tencentcloud_ses_template.template : "${name}=${t.id}"])
}
