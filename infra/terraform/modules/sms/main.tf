# The SMS signature and the text templates (shared/notify), submitted for
# review. The signature is added by SMS in front of every message, so no
# template carries it in its text.

resource "tencentcloud_sms_sign" "main" {
  sign_name     = var.sign_name
  sign_type     = 0 # a company
  document_type = 1 # its business licence
  international = 0 # Mainland China
  sign_purpose  = 0 # the company's own use
  proof_image   = var.proof_image
}

resource "tencentcloud_sms_template" "template" {
  for_each         = var.templates
  template_name    = each.key
  template_content = each.value
  international    = 0
  sms_type         = 0 # a notification, not marketing
  remark           = "cloudmarket notification ${each.key}: sent to the provider or staff member the event concerns."
}
