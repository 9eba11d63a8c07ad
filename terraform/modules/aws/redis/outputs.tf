output "host" {
  description = "Primary endpoint address (TLS on port 6379), null when not created."
  value       = try(aws_elasticache_replication_group.this[0].primary_endpoint_address, null)
}

output "reader_host" {
  description = "Reader endpoint address, null when not created."
  value       = try(aws_elasticache_replication_group.this[0].reader_endpoint_address, null)
}

output "port" {
  description = "Port clients connect to."
  value       = 6379
}

output "tls" {
  description = "Whether clients must use TLS (always true when created)."
  value       = var.create
}

output "replication_group_id" {
  description = "ElastiCache replication group ID, null when not created."
  value       = try(aws_elasticache_replication_group.this[0].id, null)
}
