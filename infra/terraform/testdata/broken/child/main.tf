variable "needed" {
  type = string
}

output "present" {
  value = var.needed
}
