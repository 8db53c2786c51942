# The VPC the functions, MongoDB, CKafka and the gateway share. MongoDB admits
# only the functions' security group; nothing else in the VPC reaches it.

resource "tencentcloud_vpc" "main" {
  name       = var.name
  cidr_block = var.cidr_block
}

resource "tencentcloud_subnet" "functions" {
  name              = "${var.name}-functions"
  vpc_id            = tencentcloud_vpc.main.id
  availability_zone = var.availability_zone
  cidr_block        = cidrsubnet(var.cidr_block, 8, 1)
}

resource "tencentcloud_subnet" "data" {
  name              = "${var.name}-data"
  vpc_id            = tencentcloud_vpc.main.id
  availability_zone = var.availability_zone
  cidr_block        = cidrsubnet(var.cidr_block, 8, 2)
}

resource "tencentcloud_subnet" "gateway" {
  name              = "${var.name}-gateway"
  vpc_id            = tencentcloud_vpc.main.id
  availability_zone = var.availability_zone
  cidr_block        = cidrsubnet(var.cidr_block, 8, 3)
}

resource "tencentcloud_security_group" "functions" {
  name        = "${var.name}-functions"
  description = "SCF functions of cloudmarket: outbound only."
}

resource "tencentcloud_security_group" "mongodb" {
  name        = "${var.name}-mongodb"
  description = "MongoDB of cloudmarket: reachable from the functions only."
}

resource "tencentcloud_security_group_rule_set" "functions" {
  security_group_id = tencentcloud_security_group.functions.id

  # Cloud APIs (COS, SMS, SES), MongoDB and CKafka.
  egress {
    action      = "ACCEPT"
    cidr_block  = "0.0.0.0/0"
    protocol    = "ALL"
    port        = "all"
    description = "outbound"
  }
}

resource "tencentcloud_security_group_rule_set" "mongodb" {
  security_group_id = tencentcloud_security_group.mongodb.id

  ingress {
    action             = "ACCEPT"
    source_security_id = tencentcloud_security_group.functions.id
    protocol           = "TCP"
    port               = "27017"
    description        = "the functions"
  }

  ingress {
    action      = "DROP"
    cidr_block  = "0.0.0.0/0"
    protocol    = "ALL"
    port        = "all"
    description = "everything else"
  }
}
