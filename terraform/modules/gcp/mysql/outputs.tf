# The outputs every cloud's mysql module gives (docs/contracts.md, "Data-store modules"), then GCP's own.

output "host" {
  description = "Private IP of the Cloud SQL instance (TLS only: ssl_mode ENCRYPTED_ONLY); null when not created."
  value       = try(google_sql_database_instance.this[0].private_ip_address, null)
}

output "port" {
  description = "Port clients connect to; null when not created."
  value       = var.create ? 3306 : null
}

output "tls" {
  description = "Whether clients must connect over TLS: true whenever the instance exists."
  value       = var.create
}

output "admin_user" {
  description = "Administrative user (root; its password is admin_password); null when not created."
  value       = var.create ? "root" : null
}

output "replica_host" {
  description = "Private IP of the read replica; null without one."
  value       = try(google_sql_database_instance.replica[0].private_ip_address, null)
}

output "instance_name" {
  description = "Cloud SQL instance name; null when not created."
  value       = try(google_sql_database_instance.this[0].name, null)
}

output "connection_name" {
  description = "Cloud SQL connection name (project:region:instance); null when not created."
  value       = try(google_sql_database_instance.this[0].connection_name, null)
}

output "server_ca_cert" {
  description = "PEM CA certificate clients use to verify Cloud SQL's TLS certificate; null when not created."
  value       = try(google_sql_database_instance.this[0].server_ca_cert[0].cert, null)
  sensitive   = true
}
