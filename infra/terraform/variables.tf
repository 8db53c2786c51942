variable "region" {
  type    = string
  default = "ap-guangzhou"
}

variable "availability_zone" {
  type    = string
  default = "ap-guangzhou-4"
}

variable "ckafka_zone_id" {
  description = "The CKafka zone ID of availability_zone (DescribeCkafkaZone), e.g. 100004 for ap-guangzhou-4."
  type        = number
  default     = 100004
}

variable "app_id" {
  description = "The account's APPID: COS bucket names and COS resource names in CAM end with it."
  type        = string
}

variable "stage" {
  description = "The stage the functions were deployed with (STAGE of make package and serverless.yml): their names are cloudmarket-<stage>-<function>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{1,20}$", var.stage))
    error_message = "stage is lowercase letters and digits, at most 20 characters (SCF names stop at 60)."
  }
}

variable "mongodb_password" {
  description = "The password of mongouser. Pass it as TF_VAR_mongodb_password; it is stored only in the remote (COS, encrypted) state."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.mongodb_password) >= 12
    error_message = "mongodb_password must be at least 12 characters."
  }
}

variable "console_origins" {
  description = "Origins of the browser console, allowed to PUT licence images straight to COS (CORS)."
  type        = list(string)
}

variable "api_domain" {
  description = "The public API's host name, e.g. api.example.com: its zone must be in DNSPod."
  type        = string
}

variable "dns_zone" {
  description = "The DNSPod zone api_domain belongs to, e.g. example.com."
  type        = string
}

variable "api_certificate_pem" {
  description = "The certificate chain (PEM) for api_domain."
  type        = string
}

variable "api_certificate_key" {
  description = "The private key (PEM) of api_certificate_pem."
  type        = string
  sensitive   = true
}

variable "function_urls" {
  description = "Each HTTP function's intranet Function URL, by catalogue name (scf info after scf deploy): the gateway forwards each route to its function's URL. Empty on the first apply, before the functions exist."
  type        = map(string)
  default     = {}
}

variable "sms_sign" {
  description = "The SMS signature: its name and the base64 image of the document proving it (the business licence)."
  type = object({
    name        = string
    proof_image = string
  })
}

variable "mail_domain" {
  description = "The sending domain of e-mail (SES_FROM's domain), e.g. mail.example.com."
  type        = string
}

variable "alarm_notice_ids" {
  description = "Notification templates (Cloud Monitor) the alarms go to."
  type        = list(string)
  default     = []
}

variable "ckafka_consumer_group_namespace" {
  description = "The alarm namespace ID Cloud Monitor lists for CKafka consumer groups (data source tencentcloud_monitor_alarm_all_namespaces, metric namespace QCE/CKAFKA)."
  type        = string
}

variable "ckafka_consumer_group" {
  description = "The consumer group of apply-payment's CKafka trigger (CKafka console, the instance's consumer groups), watched for lag. Empty before the first scf deploy."
  type        = string
  default     = ""
}
