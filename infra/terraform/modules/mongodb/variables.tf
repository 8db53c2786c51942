variable "name" {
  type = string
}

variable "availability_zone" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_id" {
  type = string
}

variable "security_group_ids" {
  type = list(string)
}

variable "password" {
  type      = string
  sensitive = true
}

variable "memory_gb" {
  type    = number
  default = 4
}

variable "volume_gb" {
  type    = number
  default = 100
}
