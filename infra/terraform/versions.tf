terraform {
  required_version = ">= 1.5"
  required_providers {
    tencentcloud = {
      source  = "tencentcloudstack/tencentcloud"
      version = "~> 1.82"
    }
  }

  # State lives in a versioned COS bucket, never on the operator's disk: it
  # holds the MongoDB password. The bucket and region are per account, so they
  # come from `terraform init -backend-config=backend.hcl` (see the README's
  # Deploy); one state per stage under its own key.
  backend "cos" {
    prefix  = "cloudmarket"
    encrypt = true
  }
}

provider "tencentcloud" {
  region = var.region
}
