# The outputs every cloud's redis module gives (docs/contracts.md, "Data-store modules"), then AWS's own.

output "host" {
  description = "Primary endpoint address (TLS on port 6379), null when not created."
  value       = try(aws_elasticache_replication_group.this[0].primary_endpoint_address, null)
}

output "reader_host" {
  description = "Reader endpoint address, null when not created."
  value       = try(aws_elasticache_replication_group.this[0].reader_endpoint_address, null)
}

output "port" {
  description = "Port clients connect to (TLS), null when not created."
  value       = var.create ? 6379 : null
}

output "tls" {
  description = "Whether clients must use TLS (always true when created)."
  value       = var.create
}

output "credential" {
  description = "Password clients authenticate with: the AUTH token passed in (auth_token); null when not created or none was given."
  value       = var.create && var.auth_token != "" ? var.auth_token : null
  sensitive   = true
}

output "replication_group_id" {
  description = "ElastiCache replication group ID, null when not created."
  value       = try(aws_elasticache_replication_group.this[0].id, null)
}
