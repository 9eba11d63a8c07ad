output "host" {
  description = "Cluster (writer) endpoint, null when not created. Clients must use TLS with the Amazon RDS CA bundle and retryWrites=false."
  value       = try(aws_docdb_cluster.this[0].endpoint, null)
}

output "reader_host" {
  description = "Reader endpoint, null when not created."
  value       = try(aws_docdb_cluster.this[0].reader_endpoint, null)
}

output "port" {
  description = "Port of the cluster."
  value       = 27017
}

output "admin_username" {
  description = "Master user name."
  value       = var.admin_username
}

output "admin_secret_arn" {
  description = "Secrets Manager secret with the generated master password, null when not created."
  value       = try(aws_docdb_cluster.this[0].master_user_secret[0].secret_arn, null)
}

output "cluster_id" {
  description = "DocumentDB cluster identifier (for snapshots before upgrades)."
  value       = try(aws_docdb_cluster.this[0].id, null)
}
