# Alarms: a function that fails or is throttled, and payments queuing up in
# front of apply-payment. Metric names are Cloud Monitor's: QCE/SCF_V2 Error
# and Throttle, QCE/CKAFKA consumer group UnconsumeTopic.

data "tencentcloud_monitor_alarm_all_namespaces" "qce" {
  scene_type    = "ST_ALARM"
  module        = "monitor"
  monitor_types = ["MT_QCE"]
}

locals {
  scf_namespace = one([for n in data.tencentcloud_monitor_alarm_all_namespaces.qce.qce_namespaces_new : n.id if n.value == "QCE/SCF_V2"])
}

resource "tencentcloud_monitor_alarm_policy" "functions" {
  policy_name  = "${var.name}-functions"
  remark       = "cloudmarket function errors and throttles"
  monitor_type = "MT_QCE"
  namespace    = local.scf_namespace
  enable       = 1
  project_id   = 0
  notice_ids   = var.notice_ids

  conditions {
    is_union_rule = 0 # either rule alarms
    rules {
      metric_name      = "Error"
      period           = 60
      operator         = "gt"
      value            = "0"
      continue_period  = 1
      notice_frequency = 3600
      is_power_notice  = 0
    }
    rules {
      metric_name      = "Throttle"
      period           = 60
      operator         = "gt"
      value            = "0"
      continue_period  = 1
      notice_frequency = 3600
      is_power_notice  = 0
    }
  }
}

resource "tencentcloud_monitor_policy_binding_object" "functions" {
  policy_id = tencentcloud_monitor_alarm_policy.functions.id

  dynamic "dimensions" {
    for_each = toset(var.function_names)
    content {
      dimensions_json = jsonencode({ functionName = dimensions.value, namespace = var.scf_namespace })
    }
  }
}

# Verified payments not yet applied: apply-payment is failing or far behind.
resource "tencentcloud_monitor_alarm_policy" "queue_lag" {
  policy_name  = "${var.name}-queue-lag"
  remark       = "payments waiting for apply-payment"
  monitor_type = "MT_QCE"
  namespace    = var.consumer_group_namespace
  enable       = 1
  project_id   = 0
  notice_ids   = var.notice_ids

  conditions {
    is_union_rule = 1
    rules {
      metric_name      = "UnconsumeTopic"
      period           = 60
      operator         = "gt"
      value            = tostring(var.max_unconsumed)
      continue_period  = 5
      notice_frequency = 3600
      is_power_notice  = 0
    }
  }
}

resource "tencentcloud_monitor_policy_binding_object" "queue_lag" {
  policy_id = tencentcloud_monitor_alarm_policy.queue_lag.id

  dimensions {
    dimensions_json = jsonencode({ instanceId = var.ckafka_instance_id, topicName = var.consumer_topic, consumerGroup = var.consumer_group })
  }
}
