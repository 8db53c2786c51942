# The sending domain and the e-mail templates (shared/notify). After apply,
# add the DNS records the domain's attributes list, and wait for verification.

resource "tencentcloud_ses_domain" "main" {
  email_identity = var.domain
}

resource "tencentcloud_ses_template" "template" {
  for_each      = var.templates
  template_name = each.key
  template_content {
    text = base64encode(each.value)
  }
}
