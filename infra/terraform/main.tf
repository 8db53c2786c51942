# Cloud resources of cloudmarket. The functions themselves are deployed by
# serverless.yml (multi-scf); this creates what they use and the public routes.

# MongoDB replica set: operations run multi-document transactions.
resource "tencentcloud_mongodb_instance" "main" {
  instance_name  = "cloudmarket"
  memory         = 4
  volume         = 100
  engine_version = "MONGO_60_WT"
  machine_type   = "HIO10G"
  available_zone = var.availability_zone
  vpc_id         = var.vpc_id
  subnet_id      = var.subnet_id
  password       = var.mongodb_password
}

# Business licence images (R-EN6). Private; clients upload through presigned PUTs.
resource "tencentcloud_cos_bucket" "licences" {
  bucket = "cloudmarket-licences-${var.app_id}"
  acl    = "private"
}

# The API Gateway product is retired: each HTTP function has a Function URL and
# the TSE gateway maps the public routes onto it. routes.json is generated from
# the function catalogue, shared/app/catalogue.go (make generate).
locals {
  routes    = jsondecode(file("${path.module}/routes.json"))
  functions = toset([for r in local.routes : r.function])
}

resource "tencentcloud_tse_cngw_service" "fn" {
  for_each      = local.functions
  gateway_id    = var.gateway_id
  name          = each.key
  protocol      = "https"
  path          = "/"
  timeout       = 10000
  retries       = 0
  upstream_type = "Scf"
  upstream_info {
    scf_type             = "event"
    scf_namespace        = var.scf_namespace
    scf_lambda_name      = "cloudmarket-${var.stage}-${each.key}" # serverless.yml's function name
    scf_lambda_qualifier = "$DEFAULT"
  }
}

resource "tencentcloud_tse_cngw_route" "route" {
  for_each      = { for r in local.routes : "${r.method} ${r.path}" => r }
  gateway_id    = var.gateway_id
  service_id    = tencentcloud_tse_cngw_service.fn[each.value.function].service_id
  route_name    = replace(replace(lower("${each.value.method}${each.value.path}"), "/[^a-z0-9]+/", "-"), "/-$/", "")
  methods       = [each.value.method]
  paths         = [replace(each.value.path, "/\\{[a-z]+\\}/", "[^/]+")]
  protocols     = ["https"]
  strip_path    = false
  preserve_host = false
}

output "mongodb_uri" {
  value     = "mongodb://mongouser:${var.mongodb_password}@${tencentcloud_mongodb_instance.main.vip}:${tencentcloud_mongodb_instance.main.vport}/admin?replicaSet=${tencentcloud_mongodb_instance.main.id}"
  sensitive = true
}

output "cos_bucket" {
  value = tencentcloud_cos_bucket.licences.bucket
}
