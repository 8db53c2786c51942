variable "name" {
  type = string
}

variable "zone_id" {
  type = number
}

variable "vpc_id" {
  type = string
}

variable "subnet_id" {
  type = string
}

variable "topics" {
  type = list(string)
}
