# Deliberately wrong: terraform_test.go expects each mistake to be reported.
terraform {
  backend "cos" {
    bucket_name = "state"
  }
}

resource "tencentcloud_vpc" "main" {
  name = var.missing
  cidr = local.nowhere
}

resource "tencentcloud_cos_bucket" "b" {
  bucket = tencentcloud_vpc.other.id
  cors_rules {
    origins = ["*"]
  }
}

resource "tencentcloud_made_up" "x" {
  name = "x"
}

module "child" {
  source  = "./child"
  unknown = 1
}

output "o" {
  value = module.child.absent
}

locals {
   misaligned = 1
}
