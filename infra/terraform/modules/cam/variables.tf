variable "name" {
  type = string
}

variable "region" {
  type = string
}

variable "app_id" {
  type = string
}

variable "cos_bucket" {
  type = string
}
