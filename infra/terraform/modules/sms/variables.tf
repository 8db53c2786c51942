variable "sign_name" {
  type = string
}

variable "proof_image" {
  description = "The business licence image, base64 without the data: prefix."
  type        = string
}

variable "templates" {
  description = "Template name → text with {1}, {2}… variables."
  type        = map(string)
}
