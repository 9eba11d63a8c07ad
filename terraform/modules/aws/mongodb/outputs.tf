# The outputs every cloud's mongodb module gives (docs/contracts.md, "Data-store modules"), then AWS's own.

output "host" {
  description = "Cluster (writer) endpoint, null when not created. Clients must use TLS with the Amazon RDS CA bundle and retryWrites=false."
  value       = try(aws_docdb_cluster.this[0].endpoint, null)
}

output "reader_host" {
  description = "Reader endpoint, null when not created."
  value       = try(aws_docdb_cluster.this[0].reader_endpoint, null)
}

output "port" {
  description = "Port of the cluster, null when not created."
  value       = var.create ? 27017 : null
}

output "tls" {
  description = "Whether clients must connect over TLS (the cluster's tls parameter): true whenever the cluster exists."
  value       = var.create
}

output "admin_user" {
  description = "Master user name, null when not created."
  value       = var.create ? var.admin_username : null
}

output "admin_secret_arn" {
  description = "Secrets Manager secret with the generated master password, null when not created."
  value       = try(aws_docdb_cluster.this[0].master_user_secret[0].secret_arn, null)
}

output "cluster_id" {
  description = "DocumentDB cluster identifier (for snapshots before upgrades)."
  value       = try(aws_docdb_cluster.this[0].id, null)
}
