variable "region" {
  type    = string
  default = "ap-guangzhou"
}

variable "availability_zone" {
  type    = string
  default = "ap-guangzhou-4"
}

variable "app_id" {
  description = "The account's APPID: COS bucket names end with it."
  type        = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_id" {
  type = string
}

variable "mongodb_password" {
  type      = string
  sensitive = true
}

variable "gateway_id" {
  description = "The TSE cloud-native gateway that fronts the API."
  type        = string
}

variable "scf_namespace" {
  type    = string
  default = "default"
}

variable "stage" {
  description = "The stage the functions were deployed with (STAGE of make package and serverless.yml): their names are cloudmarket-<stage>-<function>."
  type        = string
}
