variable "domain" {
  type = string
}

variable "templates" {
  description = "Template name → text with {{1}}, {{2}}… variables."
  type        = map(string)
}
