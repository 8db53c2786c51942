output "policy_ids" {
  value = [tencentcloud_monitor_alarm_policy.functions.id, tencentcloud_monitor_alarm_policy.queue_lag.id]
}
