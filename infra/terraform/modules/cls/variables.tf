variable "name" {
  type = string
}

variable "retention_days" {
  type    = number
  default = 180
}
