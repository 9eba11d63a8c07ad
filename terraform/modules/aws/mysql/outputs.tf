output "host" {
  description = "DNS name of the primary, null when not created."
  value       = try(aws_db_instance.this[0].address, null)
}

output "port" {
  description = "Port of the primary."
  value       = try(aws_db_instance.this[0].port, 3306)
}

output "admin_username" {
  description = "Master user name."
  value       = var.admin_username
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
