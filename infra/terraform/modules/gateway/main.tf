# The public API: a TSE cloud-native gateway (Kong) with the API's domain and
# certificate, and one route per catalogue route (routes.json, make generate).
# Each route goes straight to its function's Function URL over HTTPS, so the
# function receives the Function URL event the code reads (shared/httpapi) and
# no gateway plugin reshapes it.

resource "tencentcloud_tse_cngw_gateway" "main" {
  name                       = var.name
  description                = "cloudmarket public API"
  type                       = "kong"
  gateway_version            = var.gateway_version
  feature_version            = "STANDARD"
  engine_region              = var.region
  trade_type                 = 0 # pay as you go
  internet_max_bandwidth_out = var.bandwidth_mbps
  enable_cls                 = true

  node_config {
    number        = 2
    specification = "1c2g"
  }

  vpc_config {
    vpc_id    = var.vpc_id
    subnet_id = var.subnet_id
  }
}

resource "tencentcloud_ssl_certificate" "api" {
  name = var.domain
  type = "SVR"
  cert = var.certificate_pem
  key  = var.certificate_key
}

resource "tencentcloud_tse_cngw_certificate" "api" {
  gateway_id   = tencentcloud_tse_cngw_gateway.main.id
  cert_id      = tencentcloud_ssl_certificate.api.id
  bind_domains = [var.domain]
  name         = var.domain
}

resource "tencentcloud_dnspod_record" "api" {
  domain      = var.dns_zone
  sub_domain  = trimsuffix(var.domain, ".${var.dns_zone}")
  record_type = "A"
  record_line = "默认"
  value       = tencentcloud_tse_cngw_gateway.main.public_ip_addresses[0]
  ttl         = 600
}

locals {
  functions = toset([for r in var.routes : r.function])
  # Function URLs are known once scf deploy has created the functions: until
  # then (the first apply) there is no upstream to route to.
  # The URLs are the functions' intranet Function URLs (serverless.yml turns
  # the extranet off): only the gateway, inside the VPC, reaches them.
  deployed = { for f in local.functions : f => regex("^(?P<scheme>https?)://(?P<host>[^/:]+)/?$", var.function_urls[f]) if contains(keys(var.function_urls), f) }
  # Exact matches: {name} is one path segment, and nothing may follow.
  routes = { for r in var.routes : "${r.method} ${r.path}" => merge(r, {
    regex = "${replace(r.path, "/\\{[A-Za-z]+\\}/", "[^/]+")}$"
    name  = replace(replace(lower("${r.method}${r.path}"), "/[^a-z0-9]+/", "-"), "/-$/", "")
  }) if contains(keys(local.deployed), r.function) }
}

check "every_function_has_a_url" {
  assert {
    condition     = length(setsubtract(local.functions, keys(var.function_urls))) == 0
    error_message = "No Function URL for ${join(", ", setsubtract(local.functions, keys(var.function_urls)))}: their routes are not served. Run scf deploy, then apply again with function_urls from scf info."
  }
}

check "no_unknown_function_urls" {
  assert {
    condition     = length(setsubtract(keys(var.function_urls), local.functions)) == 0
    error_message = "function_urls names functions that serve no route: ${join(", ", setsubtract(keys(var.function_urls), local.functions))}."
  }
}

resource "tencentcloud_tse_cngw_service" "function" {
  for_each      = local.deployed
  gateway_id    = tencentcloud_tse_cngw_gateway.main.id
  name          = each.key
  protocol      = each.value.scheme
  path          = "/"
  timeout       = 10000
  retries       = 0 # a POST is not retried by the gateway; clients retry with Idempotency-Key
  upstream_type = "HostIP"
  upstream_info {
    host = each.value.host
    port = each.value.scheme == "https" ? 443 : 80
  }
}

resource "tencentcloud_tse_cngw_route" "route" {
  for_each      = local.routes
  gateway_id    = tencentcloud_tse_cngw_gateway.main.id
  service_id    = tencentcloud_tse_cngw_service.function[each.value.function].service_id
  route_name    = each.value.name
  methods       = [each.value.method]
  paths         = [each.value.regex]
  hosts         = [var.domain]
  protocols     = ["https"]
  strip_path    = false
  preserve_host = false # the Function URL answers to its own host name
}
