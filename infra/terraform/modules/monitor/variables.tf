variable "name" {
  type = string
}

variable "notice_ids" {
  type = list(string)
}

variable "function_names" {
  description = "Every function's deployed name."
  type        = list(string)
}

variable "scf_namespace" {
  type    = string
  default = "default"
}

variable "ckafka_instance_id" {
  type = string
}

variable "consumer_topic" {
  type = string
}

variable "consumer_group" {
  description = "The CKafka trigger's consumer group: SCF names it after the function."
  type        = string
}

variable "consumer_group_namespace" {
  type = string
}

variable "max_unconsumed" {
  description = "Messages waiting for five minutes in a row before the alarm."
  type        = number
  default     = 100
}
