# The outputs every cloud's mysql module gives (docs/contracts.md, "Data-store modules"), then AWS's own.

output "host" {
  description = "DNS name of the primary, null when not created."
  value       = try(aws_db_instance.this[0].address, null)
}

output "port" {
  description = "Port of the primary (MySQL's, which the instance keeps), null when not created."
  value       = var.create ? 3306 : null
}

output "tls" {
  description = "Whether clients must connect over TLS (require_secure_transport, require_tls): true whenever the instance exists, unless require_tls is off."
  value       = var.create && var.require_tls
}

output "admin_user" {
  description = "Master user name, null when not created."
  value       = var.create ? var.admin_username : null
}

output "admin_secret_arn" {
  description = "Secrets Manager secret holding the master password when RDS manages it, else null."
  value       = try(aws_db_instance.this[0].master_user_secret[0].secret_arn, null)
}

output "replica_host" {
  description = "DNS name of the read replica, null without one."
  value       = try(aws_db_instance.replica[0].address, null)
}

output "instance_id" {
  description = "RDS identifier of the primary (for snapshots before upgrades)."
  value       = try(aws_db_instance.this[0].identifier, null)
}
