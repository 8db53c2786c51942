variable "bucket" {
  description = "name-APPID"
  type        = string
}

variable "allowed_origins" {
  type = list(string)
}
