variable "name" {
  type = string
}

variable "region" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_id" {
  type = string
}

variable "gateway_version" {
  description = "Kong version of the gateway. Paths are written for 2.x, where a path with regex characters is a regex anchored at its start."
  type        = string
  default     = "2.5.1"
}

variable "bandwidth_mbps" {
  type    = number
  default = 10
}

variable "domain" {
  type = string
}

variable "dns_zone" {
  type = string
}

variable "certificate_pem" {
  type = string
}

variable "certificate_key" {
  type      = string
  sensitive = true
}

variable "routes" {
  description = "routes.json: method, path ({name} segments) and function of every public route."
  type = list(object({
    method   = string
    path     = string
    function = string
  }))
}

variable "function_urls" {
  type = map(string)
}
