# What serverless.yml's environment needs (see the README's Deploy).

output "mongodb_uri" {
  value     = module.mongodb.uri
  sensitive = true
}

output "cos_bucket" {
  value = module.cos.bucket
}

output "kafka_brokers" {
  value = module.ckafka.brokers
}

output "ckafka_instance" {
  value = module.ckafka.instance_id
}

output "vpc_id" {
  value = module.network.vpc_id
}

output "subnet_id" {
  value = module.network.functions_subnet_id
}

output "functions_security_group_id" {
  value = module.network.functions_security_group_id
}

output "scf_role" {
  value = module.cam.role_name
}

output "sms_template_ids" {
  description = "SMS_TEMPLATE_IDS: name=ID pairs, once the templates are approved."
  value       = module.sms.template_ids
}

output "ses_template_ids" {
  description = "SES_TEMPLATE_IDS: name=ID pairs, once the templates are approved."
  value       = module.ses.template_ids
}

output "api_url" {
  value = "https://${var.api_domain}"
}

output "cls_logset_id" {
  value = module.cls.logset_id
}

output "cls_topic_id" {
  value = module.cls.topic_id
}
