# Cloud resources of cloudmarket, one module per service. The functions
# themselves are deployed by serverless.yml (multi-scf); this creates what they
# use, who they run as, and the public routes in front of them.

locals {
  name = "cloudmarket-${var.stage}"
  # The gateway's routes, generated from the function catalogue
  # (shared/app/catalogue.go) by make generate.
  routes = jsondecode(file("${path.module}/routes.json"))
  # Text SMS and e-mail templates to register, generated from shared/notify.
  messages = jsondecode(file("${path.module}/messages.json"))
  # Every function's deployed name, timers and consumers included.
  functions = [for f in jsondecode(file("${path.module}/functions.json")) : "${local.name}-${f}"]
}

module "network" {
  source            = "./modules/network"
  name              = local.name
  availability_zone = var.availability_zone
}

module "mongodb" {
  source             = "./modules/mongodb"
  name               = local.name
  availability_zone  = var.availability_zone
  vpc_id             = module.network.vpc_id
  subnet_id          = module.network.data_subnet_id
  security_group_ids = [module.network.mongodb_security_group_id]
  password           = var.mongodb_password
}

module "ckafka" {
  source    = "./modules/ckafka"
  name      = local.name
  zone_id   = var.ckafka_zone_id
  vpc_id    = module.network.vpc_id
  subnet_id = module.network.data_subnet_id
  # operation.PaymentTopic: verified payment notifications and refund results.
  topics = ["payment-events"]
}

module "cos" {
  source          = "./modules/cos"
  bucket          = "${local.name}-licences-${var.app_id}"
  allowed_origins = var.console_origins
}

module "cam" {
  source     = "./modules/cam"
  name       = local.name
  region     = var.region
  app_id     = var.app_id
  cos_bucket = module.cos.bucket
}

module "sms" {
  source      = "./modules/sms"
  sign_name   = var.sms_sign.name
  proof_image = var.sms_sign.proof_image
  templates   = local.messages.sms
}

module "ses" {
  source    = "./modules/ses"
  domain    = var.mail_domain
  templates = local.messages.email
}

module "gateway" {
  source          = "./modules/gateway"
  name            = local.name
  region          = var.region
  vpc_id          = module.network.vpc_id
  subnet_id       = module.network.gateway_subnet_id
  domain          = var.api_domain
  dns_zone        = var.dns_zone
  certificate_pem = var.api_certificate_pem
  certificate_key = var.api_certificate_key
  routes          = local.routes
  function_urls   = var.function_urls
}

module "cls" {
  source = "./modules/cls"
  name   = local.name
}

module "monitor" {
  source                   = "./modules/monitor"
  name                     = local.name
  notice_ids               = var.alarm_notice_ids
  function_names           = local.functions
  consumer_group           = var.ckafka_consumer_group
  ckafka_instance_id       = module.ckafka.instance_id
  consumer_topic           = "payment-events"
  consumer_group_namespace = var.ckafka_consumer_group_namespace
}
