# The outputs a data-store module gives (docs/contracts.md, "Data-store modules"), for the broker, then AWS's own.

output "host" {
  description = "The AMQP endpoint's host name (TLS on port 5671; the certificate is for it), null when not created."
  value       = var.create ? try(regex("^amqps://([^:/]+)", local.endpoint)[0], null) : null
}

output "port" {
  description = "Port clients connect to (AMQP over TLS), null when not created."
  value       = var.create ? 5671 : null
}

output "tls" {
  description = "Whether clients must use TLS (always true when created: Amazon MQ listens on AMQPS only)."
  value       = var.create
}

output "admin_user" {
  description = "The broker's one user, null when not created."
  value       = var.create ? var.admin_user : null
}

output "broker_id" {
  description = "Amazon MQ broker ID, null when not created."
  value       = try(aws_mq_broker.this[0].id, null)
}
