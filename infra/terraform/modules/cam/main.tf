# The functions' execution role (serverless.yml's SCF_ROLE). SCF hands each
# function this role's temporary keys; the code uses them for COS, SMS and SES
# and for nothing else. MongoDB and CKafka are reached inside the VPC with
# their own credentials, and SCF ships logs to CLS with its own service role,
# so neither needs a permission here.

resource "tencentcloud_cam_role" "functions" {
  name        = "${var.name}-functions"
  description = "Execution role of the cloudmarket functions."
  document = jsonencode({
    version = "2.0"
    statement = [{
      action    = ["name/sts:AssumeRole"]
      effect    = "allow"
      principal = { service = ["scf.qcloud.com"] }
    }]
  })
}

# Presigned licence uploads (PutObject) and the reviewer's image (GetObject),
# on this bucket only.
resource "tencentcloud_cam_policy" "cos" {
  name        = "${var.name}-cos"
  description = "cloudmarket functions: licence images in their bucket."
  document = jsonencode({
    version = "2.0"
    statement = [{
      effect   = "allow"
      action   = ["name/cos:PutObject", "name/cos:GetObject", "name/cos:HeadObject"]
      resource = ["qcs::cos:${var.region}:uid/${var.app_id}:${var.cos_bucket}/*"]
    }]
  })
}

resource "tencentcloud_cam_policy" "messages" {
  name        = "${var.name}-messages"
  description = "cloudmarket functions: send SMS and e-mail."
  document = jsonencode({
    version = "2.0"
    statement = [{
      effect   = "allow"
      action   = ["name/sms:SendSms", "name/ses:SendEmail"]
      resource = ["*"]
    }]
  })
}

resource "tencentcloud_cam_role_policy_attachment" "cos" {
  role_id   = tencentcloud_cam_role.functions.id
  policy_id = tencentcloud_cam_policy.cos.id
}

resource "tencentcloud_cam_role_policy_attachment" "messages" {
  role_id   = tencentcloud_cam_role.functions.id
  policy_id = tencentcloud_cam_policy.messages.id
}
